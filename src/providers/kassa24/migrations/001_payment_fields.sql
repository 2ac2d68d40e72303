-- What a terminal tells about a payment besides number, amount and receipt, kept as sent:
-- its own local time of the payment (`date`), the payment type and the payer's fee (never part
-- of the sum).
ALTER TABLE {{instance}}_transaction
  ADD COLUMN IF NOT EXISTS network_date text,
  ADD COLUMN IF NOT EXISTS type text,
  ADD COLUMN IF NOT EXISTS commission text;
