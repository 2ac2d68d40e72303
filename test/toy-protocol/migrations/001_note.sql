-- What a toy pay tells besides account and sum: a free-text note, kept with the payment.
ALTER TABLE {{instance}}_transaction
  ADD COLUMN IF NOT EXISTS note text;
