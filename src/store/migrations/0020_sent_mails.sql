-- The mails signrelay sent, by their Message-ID (fixed when each was queued, or when the
-- signed document was mailed to the instance): how a bounce that comes back to the request
-- mailbox — a delivery status notification quoting the original's Message-ID — is matched
-- to the mail and its request (intake/process-bounce.ts). A bounce naming a Message-ID not
-- here names no mail signrelay sent (forged, or someone else's) and changes nothing.
CREATE TABLE sent_mails (
  message_id      TEXT PRIMARY KEY,
  purpose         TEXT NOT NULL,              -- reply | notice | alert | delivery | acknowledgement | answer
  request_id      TEXT REFERENCES requests(id),
  recipients      TEXT NOT NULL,              -- who it went to, for people
  created_at      TEXT NOT NULL,
  bounced_at      TEXT                        -- the first bounce acted on: a later one for the same mail changes nothing
);
CREATE INDEX sent_mails_request ON sent_mails(request_id);
-- The mails queued before this table: a bounce of one still finds it. (The signed documents
-- mailed to the instance before it had a Message-ID made of the request id, which a
-- requester can read in the acknowledgement: a bounce naming one is not trusted.)
INSERT OR IGNORE INTO sent_mails (message_id, purpose, request_id, recipients, created_at)
  SELECT json_extract(payload, '$.message.messageId'), json_extract(payload, '$.purpose'), request_id,
         coalesce(json_extract(payload, '$.message.to'), ''), created_at
  FROM jobs WHERE kind = 'mail' AND json_extract(payload, '$.message.messageId') IS NOT NULL
    AND json_extract(payload, '$.purpose') IS NOT NULL;
