-- The requester's conversation (docs/request-mails.md "Acknowledgement and reply commands").
-- acknowledgements: per request, whether its requester may be mailed automatically (decided
-- at intake, where the request mail's RFC 3834 headers are known) and, once queued in the
-- transaction of the `sent` state, the acknowledgement's Message-ID — how a reply's
-- In-Reply-To finds the request. One row per request: never two acknowledgements.
CREATE TABLE acknowledgements (
  request_id      TEXT PRIMARY KEY REFERENCES requests(id),
  no_reply_reason TEXT,                       -- why the requester is never mailed automatically; NULL: it may be
  message_id      TEXT UNIQUE,                -- the acknowledgement's Message-ID, once queued
  skipped         TEXT,                       -- why none was sent although one was due (route setting, limit)
  decided_at      TEXT                        -- when it was queued or skipped
);

-- reply_commands: one row per reply mail, keyed on its identity (Message-ID, else a hash of
-- its content) and written BEFORE anything the command does, in the same transaction as
-- its jobs: a copy of the reply, or the same mail seen again after a crash, finds its row
-- and does nothing twice.
CREATE TABLE reply_commands (
  id              INTEGER PRIMARY KEY,
  mail_key        TEXT NOT NULL UNIQUE,
  request_id      TEXT REFERENCES requests(id),
  sender          TEXT,
  command         TEXT NOT NULL,              -- cancel | remind | extend | status | unknown | none
  argument        TEXT,                       -- the cancel reason, the extend date
  outcome         TEXT NOT NULL,              -- queued | answered | refused | ignored
  reason          TEXT NOT NULL,              -- why, for people (explain, the mail's filing)
  answer_to       TEXT,                       -- who the answer goes to; NULL: nobody is answered
  answer_message_id TEXT,                     -- the answer's Message-ID, once queued
  created_at      TEXT NOT NULL,
  done_at         TEXT
);
CREATE INDEX reply_commands_request ON reply_commands(request_id);
CREATE INDEX reply_commands_answer ON reply_commands(answer_message_id);
