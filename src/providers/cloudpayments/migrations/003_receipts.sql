-- A payment's online receipt (the Receipt notification of type Income) next to it: the link a
-- merchant sends the customer. A view may only gain columns at its end.
CREATE OR REPLACE VIEW {{instance}}_transaction_state AS
SELECT t.id, t.account, t.code, t.sum, t.currency, t.status, t.created_at,
  min(n.created_at) FILTER (WHERE n.type = 'Confirm') AS confirmed_at,
  min(n.created_at) FILTER (WHERE n.type = 'Cancel') AS cancelled_at,
  coalesce(sum(n.amount) FILTER (WHERE n.type = 'Refund'), 0) AS refunded_sum,
  max(n.created_at) FILTER (WHERE n.type = 'Refund') AS last_refund_at,
  (array_agg(n.payload ->> 'Url' ORDER BY n.created_at) FILTER (
    WHERE n.type = 'Receipt' AND coalesce(n.payload ->> 'Type', 'Income') = 'Income'))[1] AS receipt_url
FROM {{instance}}_transaction t
LEFT JOIN {{instance}}_notification n ON n.payment_transaction_id = t.code
GROUP BY t.id, t.account, t.code, t.sum, t.currency, t.status, t.created_at;
