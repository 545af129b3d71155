-- Art. 20.2: the skills each approved version lets be recognised separately; an entry resting
-- on it lists no others. NULL for versions heard before the list was kept (not checked).
ALTER TABLE approved_standards ADD COLUMN separate_skills text[];
