-- The basis of a cancellation in the platform's one basis-document shape
-- ({"number", "date", "title"}), no longer as a [number, date, title] array.
UPDATE documents
   SET cancel_basis = jsonb_build_object(
           'number', cancel_basis ->> 0,
           'date',   cancel_basis ->> 1,
           'title',  cancel_basis ->> 2)
 WHERE jsonb_typeof(cancel_basis) = 'array';
