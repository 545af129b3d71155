-- An amendment takes effect on the day its order names, which may be later than the day it is
-- entered: the day the entry's latest version takes effect. Until then the register in force
-- is the version before it (read from the history).
ALTER TABLE professions ADD COLUMN effective_from date;
UPDATE professions p SET effective_from = h.effective_from
  FROM profession_history h WHERE h.profession_id = p.id AND h.version = p.version;
UPDATE professions SET effective_from = created_at::date WHERE effective_from IS NULL;
ALTER TABLE professions ALTER COLUMN effective_from SET NOT NULL;
CREATE INDEX professions_pending ON professions (effective_from);
