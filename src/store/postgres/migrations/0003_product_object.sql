-- The summary's product became an object ({ name, id, category, price }); it used to be the
-- name alone. Events stored before keep their name as product.name, so field-by-field merges
-- of later annotate() calls and every reader see one shape.
UPDATE events
SET summary = jsonb_set(summary, '{product}', jsonb_build_object('name', summary -> 'product'))
WHERE jsonb_typeof(summary -> 'product') = 'string';
