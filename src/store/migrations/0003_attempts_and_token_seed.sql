-- Attempts at handling a mail, counted BEFORE each attempt so that a mail which crashes
-- the process is counted too; after too many a mail is filed away with an alert instead
-- of blocking its folder for ever. And at most one outcome per Message-ID and mailbox
-- (besides recorded duplicates), so two copies of one mail can never both become requests.

CREATE TABLE message_attempts (
  mailbox         TEXT NOT NULL,
  uid_validity    TEXT NOT NULL,
  uid             INTEGER NOT NULL,
  attempts        INTEGER NOT NULL,
  last_error      TEXT,
  last_error_kind TEXT,                       -- 'infrastructure' (disk, database, network) | 'processing'
  updated_at      TEXT NOT NULL,
  PRIMARY KEY (mailbox, uid_validity, uid)
);

CREATE UNIQUE INDEX messages_one_outcome_per_message_id ON messages(mailbox, message_id)
  WHERE message_id IS NOT NULL AND outcome != 'duplicate';

-- The configured refresh token a stored OAuth chain started from (sha256): a new one in
-- the configuration replaces a dead chain without editing the database.
ALTER TABLE oauth_tokens ADD COLUMN seed TEXT;
