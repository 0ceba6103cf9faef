// `signrelay explain` for a reply to an acknowledgement: which request it answers (and how it
// was matched), which command its first line carries, and whether the sender may act on it
// and why — the decision the daemon would take (decide-reply.ts), on the daemon's database
// read-only. Undefined when the mail is not such a reply (then it is explained as a request).
import type { Config } from '../config/schema.ts';
import { intakePolicyFrom } from '../intake/intake-policy.ts';
import type { ReplyHeaders } from '../intake/conversation-address.ts';
import { providerTraits } from '../providers/provider-traits.ts';
import type { Db } from '../store/open-database.ts';
import { decideReply, type ReplyMail } from './decide-reply.ts';
import { findRepliedRequest } from './process-reply-mail.ts';

export function explainReply(db: Db, config: Config, mail: ReplyMail & ReplyHeaders, now: Date): Record<string, unknown> | undefined {
  const found = findRepliedRequest(db, mail, config.mailboxes.requests.address);
  if (!found) return undefined;
  const decision = decideReply(mail, found, intakePolicyFrom(config), providerTraits(config.provider), now);
  const { command } = decision;
  return {
    action: 'reply',
    reason: decision.reason,
    reply: {
      request: found.request ? { id: found.request.id, state: found.request.state, record: found.request.recordNumber ?? found.request.recordSysId, requester: found.request.requester } : null,
      matchedBy: found.by,
      command: command.name,
      ...(command.name === 'cancel' ? { reason: command.reason } : {}),
      ...(command.name === 'unknown' ? { line: command.line, problem: command.problem } : {}),
      ...(decision.due ? { due: decision.due } : {}),
      sender: decision.sender,
      allowed: decision.action !== 'ignore',
      decision: { 'carry-out': 'carried out and answered', answer: 'answered, nothing changed', ignore: 'filed without an answer, nothing changed' }[decision.action],
      answerTo: decision.answerTo,
      ...(decision.authentication ? { authentication: decision.authentication } : {}),
    },
  };
}
