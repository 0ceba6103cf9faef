-- A completed document's evidence from its provider (servicenow.attach_certificate),
-- taken with the signed copy: JSON {sha256, contentType, fileSuffix} once fetched (the
-- bytes are a blob like the PDFs), or {unavailable: reason} when the provider offered none.
-- Its attachment to the record is an effect in the audit trail (`certificate-N`).
ALTER TABLE documents ADD COLUMN certificate TEXT;
