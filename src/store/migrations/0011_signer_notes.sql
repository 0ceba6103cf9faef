-- The signers whose "signed, k of n" note a request's record was given (reconciliation,
-- notices/queue-signer-progress.ts): one row per signer (its place in the request's
-- signing order), written in the same transaction as the note's `record` job — so a crash
-- can neither queue a signer's note twice nor lose one between the two.
CREATE TABLE signer_notes (
  request_id      TEXT NOT NULL REFERENCES requests(id),
  position        INTEGER NOT NULL,           -- 0-based, in requests.signers_json
  noted_at        TEXT NOT NULL,
  PRIMARY KEY (request_id, position)
);
