-- The mails whose outcome is committed but whose move out of the watched folder is not yet
-- confirmed: each pass of a watcher looks them up (store/mail-filed.ts, fileDeparted), so
-- they get an index of their own that stays as small as the mails in flight.
CREATE INDEX messages_unmoved ON messages(mailbox, uid_validity) WHERE moved_at IS NULL;
