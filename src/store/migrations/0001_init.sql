-- signrelay schema, version 1.
-- Requests with an explicit state machine, an audit event per transition, the documents
-- of each request, the mail keys we have dealt with, durable jobs and OAuth tokens.

CREATE TABLE requests (
  id              TEXT PRIMARY KEY,           -- 'r_' + random; shown to operators
  token           TEXT NOT NULL UNIQUE,       -- return-address token (returns+TOKEN@…)
  state           TEXT NOT NULL,
  route           TEXT NOT NULL,
  provider        TEXT NOT NULL,
  requester       TEXT NOT NULL,              -- where replies go
  subject         TEXT NOT NULL DEFAULT '',
  message_id      TEXT,                       -- the request mail's Message-ID
  record_number   TEXT,
  record_table    TEXT,
  record_sys_id   TEXT,
  watermark       TEXT,                       -- ServiceNow Ref:MSG… of the request mail
  signers_json    TEXT NOT NULL,              -- [{firstName,lastName,email}] in signing order
  due_date        TEXT NOT NULL,              -- YYYY-MM-DD (UTC)
  reason          TEXT,                       -- why rejected/failed, for people
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX requests_state ON requests(state);

CREATE TABLE documents (
  request_id      TEXT NOT NULL REFERENCES requests(id),
  seq             INTEGER NOT NULL,           -- 1, 2, … in mail order
  file_name       TEXT NOT NULL,              -- safe original name
  upload_name     TEXT,                       -- name with the token, as uploaded
  original_sha256 TEXT NOT NULL,
  stamped_sha256  TEXT,
  provider_ref    TEXT,                       -- the provider's document reference
  PRIMARY KEY (request_id, seq)
);
CREATE INDEX documents_provider_ref ON documents(provider_ref);

CREATE TABLE events (
  id              INTEGER PRIMARY KEY,
  request_id      TEXT REFERENCES requests(id),
  at              TEXT NOT NULL,
  kind            TEXT NOT NULL,              -- 'transition', 'effect', 'note', …
  from_state      TEXT,
  to_state        TEXT,
  detail          TEXT                        -- JSON; never secrets
);
CREATE INDEX events_request ON events(request_id, id);

CREATE TABLE messages (
  mailbox         TEXT NOT NULL,              -- watcher name: 'requests', 'returns'
  uid_validity    TEXT NOT NULL,
  uid             INTEGER NOT NULL,
  message_id      TEXT,
  outcome         TEXT NOT NULL,              -- 'request' | 'rejected' | 'ignored' | 'duplicate'
  reason          TEXT NOT NULL,
  folder          TEXT NOT NULL,              -- where it is (to be) moved
  request_id      TEXT REFERENCES requests(id),
  seen_at         TEXT NOT NULL,
  moved_at        TEXT,
  PRIMARY KEY (mailbox, uid_validity, uid)
);
CREATE INDEX messages_message_id ON messages(mailbox, message_id);

CREATE TABLE jobs (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL,              -- 'submit' | 'complete' | 'mail'
  request_id      TEXT REFERENCES requests(id),
  payload         TEXT NOT NULL DEFAULT '{}', -- JSON
  state           TEXT NOT NULL DEFAULT 'pending', -- 'pending' | 'done' | 'failed'
  attempts        INTEGER NOT NULL DEFAULT 0,
  run_at          TEXT NOT NULL,              -- ISO time of the next attempt
  last_error      TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs(state, run_at);

CREATE TABLE oauth_tokens (
  name            TEXT PRIMARY KEY,           -- 'secured-signing', later 'servicenow', …
  access_token    TEXT,
  refresh_token   TEXT,
  expires_at      INTEGER,                    -- ms since epoch
  scope           TEXT,
  updated_at      TEXT NOT NULL
);
