-- The completion path: the signed copy of each document and where it was delivered, and
-- the rate limiting of operator alerts.

ALTER TABLE documents ADD COLUMN signed_sha256 TEXT;        -- the signed PDF (blob)
ALTER TABLE documents ADD COLUMN attachment_sys_id TEXT;    -- ServiceNow sys_attachment (rest mode)

CREATE TABLE alert_state (
  kind            TEXT PRIMARY KEY,           -- 'unmatched', 'undeliverable', …
  last_sent_at    TEXT NOT NULL,
  suppressed      INTEGER NOT NULL DEFAULT 0  -- alerts of this kind not mailed since
);
