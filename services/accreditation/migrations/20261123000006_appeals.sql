-- Art. 25.5: outcomes of appeals against a refusal, in order, on the application.
ALTER TABLE applications ADD COLUMN appeals jsonb NOT NULL DEFAULT '[]';
