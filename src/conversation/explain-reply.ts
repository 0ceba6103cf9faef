// `signrelay explain` for a reply to an acknowledgement: which request it answers (and how it
// was matched), which command its first line carries, and whether the sender may act on it
// and why — the decision the daemon would take (decide-reply.ts), on the daemon's database
// read-only — and whether the daemon has recorded this reply already (then it does nothing
// again) or would hold its answer back (limits.max_replies_per_hour). Undefined when the mail
// is not such a reply (then it is explained as a request).
import type { ParsedMail } from 'mailparser';
import type { Config } from '../config/schema.ts';
import { intakePolicyFrom } from '../intake/intake-policy.ts';
import { providerTraits } from '../providers/provider-traits.ts';
import type { Db } from '../store/open-database.ts';
import { findReplyCommand } from '../store/conversation.ts';
import { decideReply } from './decide-reply.ts';
import { findReply, replyMailKey } from './process-reply-mail.ts';
import { heldBackReason, replyAnswerHeldBack } from './queue-answer.ts';

export function explainReply(db: Db, config: Config, mail: ParsedMail, now: Date): Record<string, unknown> | undefined {
  const policy = intakePolicyFrom(config);
  const found = findReply(db, mail, policy, config.mailboxes.requests.address);
  if (!found) return undefined;
  const decision = decideReply(mail, found, policy, providerTraits(config.provider), now);
  const { command } = decision;
  const earlier = findReplyCommand(db, { mailKey: replyMailKey(mail) });
  const heldBack = !earlier && replyAnswerHeldBack(db, config, decision, now);
  // As the daemon takes it (process-reply-mail.ts): a `status` whose answer is held back is not carried out.
  const idle = heldBack && decision.action === 'carry-out';
  return {
    action: 'reply',
    reason: earlier
      ? `this reply was recorded already (${earlier.createdAt}, ${earlier.outcome}: ${earlier.reason}): the daemon does nothing again and does not answer again`
      : heldBack ? heldBackReason(config, decision) : decision.reason,
    reply: {
      request: found.request ? { id: found.request.id, state: found.request.state, record: found.request.recordNumber ?? found.request.recordSysId, requester: found.request.requester } : null,
      matchedBy: found.by,
      command: command.name,
      ...(command.name === 'cancel' ? { reason: command.reason } : {}),
      ...(command.name === 'unknown' ? { line: command.line, problem: command.problem } : {}),
      ...(decision.due ? { due: decision.due } : {}),
      sender: decision.sender,
      allowed: decision.action !== 'ignore',
      decision: idle ? 'not carried out and not answered (its answer would be held back), nothing changed'
        : { 'carry-out': 'carried out and answered', answer: 'answered, nothing changed', ignore: 'filed without an answer, nothing changed' }[decision.action],
      answerTo: earlier || heldBack ? null : decision.answerTo,
      ...(earlier ? { recorded: { at: earlier.createdAt, outcome: earlier.outcome, command: earlier.command, answered: earlier.answerMessageId !== null } } : {}),
      ...(heldBack ? { answerHeldBack: `limits.max_replies_per_hour (${config.limits.max_replies_per_hour}) answers went to ${decision.answerTo} within the hour` } : {}),
      ...(decision.authentication ? { authentication: decision.authentication } : {}),
    },
  };
}
