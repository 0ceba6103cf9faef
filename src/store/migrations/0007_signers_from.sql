-- Where a request's signers came from: 'mail' (Signer lines), 'route' (its defaults), 'pdf'
-- (the documents' own [!Sign.] tags — the provider reads them there, and notices and notes
-- name them), 'none' (rejected requests). Older rows kept no signers for prepared PDFs.
ALTER TABLE requests ADD COLUMN signers_from TEXT NOT NULL DEFAULT 'mail';
