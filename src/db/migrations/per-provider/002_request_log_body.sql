-- What the request log keeps besides the body as text: for a request refused before it proved
-- who sent it, only a bounded prefix is kept, with the body's full length and SHA-256; for a
-- body whose text cannot show every byte (a NUL, bytes invalid in its charset), the exact bytes.
ALTER TABLE {{instance}}_http_log
  ADD COLUMN IF NOT EXISTS body_length integer,
  ADD COLUMN IF NOT EXISTS body_sha256 text,
  ADD COLUMN IF NOT EXISTS body_raw bytea;
