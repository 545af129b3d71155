-- A document's version: 1 when registered, one more with each change (its cancellation); the
-- version its events carry.
ALTER TABLE documents ADD COLUMN version bigint NOT NULL DEFAULT 1;
UPDATE documents SET version = 2 WHERE cancelled_on IS NOT NULL;
