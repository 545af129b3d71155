-- Each lane's head keeps the hash it replaced: an append moves the head on by one update and
-- takes the entry's previous hash from what that update returns, instead of locking the head,
-- reading it and then updating it (two writes of the row per entry). Only the update's own
-- result reads it; what it held before the first append after this migration does not matter.
ALTER TABLE audit_head ADD COLUMN prev bytea NOT NULL DEFAULT '\x'::bytea;
