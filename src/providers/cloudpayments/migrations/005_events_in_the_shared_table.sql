-- Events now live in {{instance}}_event, which every protocol shares. The notifications that
-- were events (every type but Pay) move there under the same ids, delivered or not, so that
-- {{instance}}_event_webhook_log's transaction_id still names them, their webhook-id stays the
-- same and a pending one is delivered once, not again. {{instance}}_notification keeps every
-- notification as before.
INSERT INTO {{instance}}_event
  (id, type, idempotency_key, code, payment_code, account, sum, payload, created_at,
   status, delivery_attempts, next_attempt_at, locked_until, delivered_at, last_error)
SELECT id, type, idempotency_key, transaction_id, payment_transaction_id, account_id, amount, payload, created_at,
  delivery_status, delivery_attempts, next_attempt_at, NULL, delivered_at, last_error
FROM {{instance}}_notification
WHERE type <> 'Pay'
ON CONFLICT DO NOTHING;

SELECT setval(pg_get_serial_sequence('{{instance}}_event', 'id'), coalesce((SELECT max(id) FROM {{instance}}_event), 0) + 1, false);
