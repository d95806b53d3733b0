-- The summary's product became an object ({ name, id, category, price }); it used to be the
-- name alone. Events stored before keep their name as product.name, so field-by-field merges
-- of later annotate() calls and every reader see one shape.
UPDATE events
SET summary = json_set(summary, '$.product', json_object('name', json_extract(summary, '$.product')))
WHERE json_type(summary, '$.product') = 'text';
