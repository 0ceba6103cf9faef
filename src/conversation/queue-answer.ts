// Queues the answer to a reply command, inside the transaction that records what the command
// did: at most `limits.max_replies_per_hour` answers go to one address within the hour (a
// flood of replies, forged or not, cannot make signrelay a mail cannon) — except the answer
// to a command that changed something (a request withdrawn, signers reminded, a due date
// moved): that one always goes, or the requester could not tell whether an irreversible
// cancel worked (conversation review M3). Those are bounded without the limit: a request is
// withdrawn once, reminded once a day. Returns the answer's Message-ID (a reply to the
// answer finds the request by it), or null when the limit held it back.
import type { Config } from '../config/schema.ts';
import { conversationAddress } from '../intake/conversation-address.ts';
import { enqueueMail, newMessageId } from '../jobs/send-mail.ts';
import { recordGetsNotes } from '../notices/queue-record-update.ts';
import type { ProviderTraits } from '../providers/provider.ts';
import { getAcknowledgement } from '../store/conversation.ts';
import { countRepliesTo } from '../store/jobs.ts';
import type { Db } from '../store/open-database.ts';
import type { RequestRow } from '../store/requests.ts';
import { composeAnswer, type AnsweredReply } from './compose-answer.ts';
import type { ReplyDecision } from './decide-reply.ts';

export interface AnswerInput {
  reply: AnsweredReply;
  to: string;
  said: string;
  withHelp: boolean;
  /** The command changed something: its answer is never held back. */
  changed?: boolean;
}

export function queueAnswer(db: Db, config: Config, provider: Pick<ProviderTraits, 'displayName' | 'capabilities'>, request: RequestRow, input: AnswerInput, now: Date): string | null {
  if (input.changed !== true && answersHeldBack(db, config, input.to, now)) return null;
  const messageId = newMessageId('answer', config.smtp.from);
  // The conversation's secret address; without one (never acknowledged) a reply finds the request by this answer's Message-ID.
  const secret = getAcknowledgement(db, request.id)?.replySecret;
  const message = composeAnswer(input.reply, input.said, request, provider, {
    from: config.smtp.from, to: input.to, replyTo: secret ? conversationAddress(config.mailboxes.requests.address, secret) : config.mailboxes.requests.address, messageId, withHelp: input.withHelp,
    recordNotes: recordGetsNotes(config, request),
  });
  enqueueMail(db, { requestId: request.id, purpose: 'answer', message }, now);
  return messageId;
}

export function answersHeldBack(db: Db, config: Config, to: string, now: Date): boolean {
  return countRepliesTo(db, to, new Date(now.getTime() - 3_600_000), 'answer') >= config.limits.max_replies_per_hour;
}

/**
 * Whether a reply's answer is held back, decided when the reply is taken (the daemon and
 * `explain` alike). Never for a command that may change something: its job answers with what
 * it did (queueAnswer). A held-back `status` is not carried out at all (process-reply-mail.ts).
 */
export function replyAnswerHeldBack(db: Db, config: Config, decision: Pick<ReplyDecision, 'action' | 'command' | 'answerTo'>, now: Date): boolean {
  if (decision.answerTo === null) return false;
  if (decision.action === 'carry-out' && decision.command.name !== 'status') return false;
  return answersHeldBack(db, config, decision.answerTo, now);
}

/**
 * What a reply whose answer is held back is filed with (the daemon and `explain` alike): its
 * decision's reason, and that it is not answered — nor carried out, a `status`.
 */
export function heldBackReason(config: Config, decision: Pick<ReplyDecision, 'action' | 'reason' | 'answerTo'>): string {
  const idle = decision.action === 'carry-out';
  return `${decision.reason} (${idle ? 'not carried out and ' : ''}not answered: ${config.limits.max_replies_per_hour} answers went to ${decision.answerTo} within the hour, limits.max_replies_per_hour)`;
}
