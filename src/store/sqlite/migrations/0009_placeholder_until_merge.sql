-- Placeholder on branch 'reconcile' only: versions must count 1, 2, 3… with no gap, and this
-- branch's migration is 0010. Other branches bring the real 0009; delete this file at merge.
SELECT 1;
