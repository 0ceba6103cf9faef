-- OAuth token bookkeeping for crash safety. A refresh at a provider that rotates refresh
-- tokens spends the old one: the sha256 of the token being spent is recorded before the
-- call and cleared when the new token is saved, so a refusal after a crash in between is
-- recognised and named (never the token itself). And when a token was obtained, so the
-- early-refresh margin can be a share of its lifetime.

ALTER TABLE oauth_tokens ADD COLUMN refresh_intent TEXT;        -- sha256 of the refresh token being spent; NULL when none
ALTER TABLE oauth_tokens ADD COLUMN refresh_intent_at INTEGER;  -- ms since epoch: when it was first spent
ALTER TABLE oauth_tokens ADD COLUMN obtained_at INTEGER;        -- ms since epoch: with expires_at, the token's lifetime
