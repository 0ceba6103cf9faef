-- A completion mail filed in Unmatched changed nothing: an operator who moves it back to
-- the return mailbox (after fixing completion.allowed_senders, say) means it to be read
-- again, so its copy may get an outcome of its own. One acted-on outcome per Message-ID
-- stays the rule (process-completion-mail.ts).
DROP INDEX messages_one_outcome_per_message_id;
CREATE UNIQUE INDEX messages_one_outcome_per_message_id ON messages(mailbox, message_id)
  WHERE message_id IS NOT NULL AND outcome NOT IN ('duplicate', 'unmatched');
