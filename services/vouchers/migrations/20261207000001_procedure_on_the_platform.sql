-- A voucher presented with an application on the platform is redeemed for that procedure,
-- which then uses it (Art. 29.2, 29.4): the application it is tied to.
ALTER TABLE vouchers ADD COLUMN application_id uuid;
CREATE UNIQUE INDEX vouchers_application ON vouchers (application_id) WHERE application_id IS NOT NULL;
