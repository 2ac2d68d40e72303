-- The health of each merchant webhook URL, shared by every payrelay process on this database.
-- After a few failures in a row the URL is "failing": processes then send one probe at a time
-- (when next_probe_at comes) instead of every pending delivery, and the first probe that gets
-- through deletes the row and makes the whole backlog due at once.
CREATE TABLE IF NOT EXISTS webhook_endpoint (
  url text PRIMARY KEY,
  consecutive_failures integer NOT NULL DEFAULT 0,
  failing_since timestamptz,
  next_probe_at timestamptz NOT NULL DEFAULT now(),
  probes integer NOT NULL DEFAULT 0,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
