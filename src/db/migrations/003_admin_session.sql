-- The dashboard's sessions, shared by every payrelay process on this database. The cookie is
-- signed, and a signed cookie counts only while its row is here: signing out deletes the row,
-- which ends the session on every process at once. The row keeps the SHA-256 of the cookie's
-- random nonce, never the cookie itself, so whoever reads this table cannot sign in with it.
-- Rows past expires_at are deleted on a later sign-in (through the index).
CREATE TABLE IF NOT EXISTS admin_session (
  nonce_sha256 text PRIMARY KEY,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS admin_session_expires_at ON admin_session (expires_at);
