-- The configured secrets as signrelay last saw them: one row per secret setting
-- ('provider.api_secret'), with a fingerprint of its value (HMAC-SHA-256 under the
-- installation's key in storage.data_dir/credential-fingerprint.key: never the value, and
-- not testable against guesses without that key) and when that value was first seen. A new
-- fingerprint is a rotation: the age starts again and the alert may be sent again.

CREATE TABLE credential_fingerprints (
  setting         TEXT PRIMARY KEY,
  fingerprint     TEXT NOT NULL,
  first_seen_at   TEXT NOT NULL,
  last_seen_at    TEXT NOT NULL,
  alerted_at      TEXT               -- when the operators were told this value is due; NULL until then
);
