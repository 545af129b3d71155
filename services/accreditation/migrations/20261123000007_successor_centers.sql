-- Art. 26.1: a division or a separation leaves several successors; each further successor is a
-- center of its own, and the register shows whom it came from.
ALTER TABLE centers ADD COLUMN predecessor_number integer REFERENCES centers (number);
CREATE INDEX centers_predecessor ON centers (predecessor_number) WHERE predecessor_number IS NOT NULL;
