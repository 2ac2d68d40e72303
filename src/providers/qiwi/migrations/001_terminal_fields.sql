-- What a terminal network tells about a payment besides account and sum.
ALTER TABLE {{instance}}_transaction
  ADD COLUMN IF NOT EXISTS txn_date text,
  ADD COLUMN IF NOT EXISTS ccy text;
