-- The metrics and alerts ask, every scrape and every check, for the oldest payment not yet
-- delivered and how many there are: a partial index on pending rows answers both without
-- reading the table, whatever its size.
CREATE INDEX IF NOT EXISTS {{instance}}_transaction_pending_since
  ON {{instance}}_transaction (created_at) WHERE status = 0;

-- Pruning the request log by age (HTTP_LOG_RETENTION_DAYS, `payrelay prune`) deletes in small
-- batches, oldest first: each batch finds its rows through this index.
CREATE INDEX IF NOT EXISTS {{instance}}_http_log_created_at
  ON {{instance}}_http_log (created_at);
