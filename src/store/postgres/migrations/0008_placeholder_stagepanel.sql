-- Placeholder kept only on the stagepanel branch: versions must count with no gap, and this
-- branch's migration is 0009. At merge, the other branches' migrations take this number and
-- this file is deleted (the coordinator renumbers).
SELECT 1;
