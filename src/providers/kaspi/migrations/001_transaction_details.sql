-- What a pay tells besides account and sum: the network's own time of the payment
-- (YYYYMMDDHHMMSS), as sent; NULL when the pay had none.
ALTER TABLE {{instance}}_transaction
  ADD COLUMN IF NOT EXISTS txn_date text;
