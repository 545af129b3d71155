-- How many entries a search by name matches is counted in a narrow table of each entry's
-- search text, with a trigram index of its own: the count reads up to a thousand matches,
-- and reading them from the register's wide rows (the whole entry as JSON) cost three to eight
-- times as much (a sequential scan of the register for a common fragment). The register's
-- own search text and index stay for the page and for searches with other filters.
CREATE TABLE profession_search (
    id uuid PRIMARY KEY REFERENCES professions (id) ON DELETE CASCADE,
    search_text text NOT NULL
);
INSERT INTO profession_search (id, search_text) SELECT id, search_text FROM professions;
CREATE INDEX profession_search_trgm ON profession_search USING gin (search_text gin_trgm_ops);

-- Kept exact by the database, in the transaction that writes the names: every insert, and
-- every update that touches a name.
CREATE FUNCTION profession_search_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO profession_search (id, search_text) VALUES (NEW.id, NEW.search_text)
    ON CONFLICT (id) DO UPDATE SET search_text = EXCLUDED.search_text;
    RETURN NULL;
END
$$;
CREATE TRIGGER profession_search_follow
    AFTER INSERT OR UPDATE OF name_kk, name_ru, name_en ON professions
    FOR EACH ROW EXECUTE FUNCTION profession_search_follow();
