-- Art. 17.1: a recognition center accredited by the NCE under this Law, or by the accreditation
-- body under conformity-assessment law (entered by the authorized body).
ALTER TABLE certificates ADD COLUMN route text NOT NULL DEFAULT 'nce';
