-- Where the voucher an application was made with stands, as the register of vouchers answered
-- (Art. 29.2, 29.4): {"status": "presented" | "redeemed" | "not_redeemed" | "released" |
-- "used", "reason"?}; NULL without a voucher.
ALTER TABLE applications ADD COLUMN voucher_standing jsonb;
