-- A standard version withdrawn from the list of approved standards (archived by the authorized
-- body) can no longer ground an entry.
ALTER TABLE approved_standards ADD COLUMN withdrawn_at timestamptz;
