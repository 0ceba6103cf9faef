-- The acknowledgement's reply secret: the +tag of its Reply-To (sign+SECRET@), 32 random
-- base32 characters, never derived from the request token, which every signer sees — how a
-- reply finds the request (src/intake/conversation-address.ts). Its own migration: 0010 had
-- shipped without it, and a database that applied 0010 never reads that file again.
ALTER TABLE acknowledgements ADD COLUMN reply_secret TEXT;
CREATE UNIQUE INDEX acknowledgements_reply_secret ON acknowledgements (reply_secret);
