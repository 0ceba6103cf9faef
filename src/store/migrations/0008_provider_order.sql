-- What a provider's send created and must be kept (provider.ts SendResult), written in the
-- same transaction as the `sent` state: Signicat's order id and its tasks (one per signer),
-- and per document what the provider needs to act on it later. Secured Signing keeps
-- nothing here (every call names a document by its reference).
ALTER TABLE requests ADD COLUMN provider_order_id TEXT;
ALTER TABLE requests ADD COLUMN provider_tasks TEXT;   -- JSON [{id, signer}]
ALTER TABLE documents ADD COLUMN provider_kept TEXT;   -- JSON, the provider's own
CREATE INDEX requests_provider_order ON requests(provider_order_id);
