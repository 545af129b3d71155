-- A search by name reads one lowered text of the three names (separated by a character nobody
-- types) through one trigram index: one LIKE per row instead of three ILIKEs, and a plan made
-- in a tenth of the time (the search is planned for its pattern at every call).
ALTER TABLE professions ADD COLUMN search_text text
    GENERATED ALWAYS AS (lower(name_kk || E'\x01' || name_ru || E'\x01' || name_en)) STORED;
CREATE INDEX professions_search_trgm ON professions USING gin (search_text gin_trgm_ops);
DROP INDEX professions_name_kk_trgm;
DROP INDEX professions_name_ru_trgm;
DROP INDEX professions_name_en_trgm;
