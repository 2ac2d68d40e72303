-- What a CloudPayments Pay tells besides account and sum, and the whole notification as it came
-- (Data kept as the JSON it carries), so that nothing a merchant may need later is lost.
ALTER TABLE {{instance}}_transaction
  ADD COLUMN IF NOT EXISTS currency text,
  ADD COLUMN IF NOT EXISTS invoice_id text,
  ADD COLUMN IF NOT EXISTS email text,
  ADD COLUMN IF NOT EXISTS test_mode boolean,
  ADD COLUMN IF NOT EXISTS payload jsonb;
