-- Partial, case-insensitive name search in three languages (ILIKE '%...%') uses trigram indexes
-- instead of reading the whole register.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX professions_name_kk_trgm ON professions USING gin (name_kk gin_trgm_ops);
CREATE INDEX professions_name_ru_trgm ON professions USING gin (name_ru gin_trgm_ops);
CREATE INDEX professions_name_en_trgm ON professions USING gin (name_en gin_trgm_ops);
CREATE INDEX professions_name_ru_order ON professions (name_ru, id);
CREATE INDEX profession_history_as_of ON profession_history (effective_from, profession_id, version);
