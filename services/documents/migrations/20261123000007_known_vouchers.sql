-- The vouchers as the vouchers register publishes them: a document may name only a voucher its
-- center redeemed for that holder and profession (Art. 29.2, 29.4).
CREATE TABLE known_vouchers (
    voucher_id    uuid        PRIMARY KEY,
    number        text        NOT NULL UNIQUE,
    holder_iin    text        NOT NULL,
    status        text        NOT NULL,
    center_number integer,
    profession_id uuid,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
