-- Appendix 2: the document names its center as the center was named on the issue day.
ALTER TABLE documents ADD COLUMN center_name text NOT NULL DEFAULT '';
-- The legal ground of a cancellation from a closed list, and for "registered in error" the
-- document that replaces it. Cancellations before this change were all by revocation or by an
-- official; the latter keep no ground ('' reads as "not recorded").
ALTER TABLE documents ADD COLUMN cancel_ground text;
ALTER TABLE documents ADD COLUMN replaced_by text;
UPDATE documents SET cancel_ground = 'revocation_on_complaints'
 WHERE cancelled_on IS NOT NULL AND cancel_reason LIKE '%Art. 26.2.4%';
