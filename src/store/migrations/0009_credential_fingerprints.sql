-- The secret values signrelay has run with: one row per secret setting and value
-- ('provider.api_secret' and a fingerprint of its value: HMAC-SHA-256 under the
-- installation's key in storage.data_dir/credential-fingerprint.key, never the value, and
-- not testable against guesses without that key), with when that value was first and last
-- seen, whether the operators were told it is due, and whether it is the value the daemon
-- runs with now (`current`: one per setting, from the latest start).
--
-- Keyed by value, not by setting: a value the daemon goes back to — an operator undoing a
-- rotation, a reload whose new configuration fails and restarts the previous one, a
-- setting removed and added again — is the same secret, so it keeps its age and its
-- alert mark. A new value is a rotation: its own age, its own alert.
--
-- Rows of values no longer used are kept: a few per setting a year, and forgetting one
-- would make that old value look new if it ever came back.

CREATE TABLE credential_fingerprints (
  setting         TEXT NOT NULL,
  fingerprint     TEXT NOT NULL,
  first_seen_at   TEXT NOT NULL,
  last_seen_at    TEXT NOT NULL,
  alerted_at      TEXT,              -- when the operators were told this value is due; NULL until then
  current         INTEGER NOT NULL DEFAULT 0 CHECK (current IN (0, 1)),
  PRIMARY KEY (setting, fingerprint)
);
