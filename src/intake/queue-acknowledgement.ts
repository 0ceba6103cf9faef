// Queues the acknowledgement of a request that was just sent, inside the transaction of its
// `sent` state (submit-request.ts): the state and the mail are committed together, and the
// acknowledgements row (one per request, migration 0010) makes it once across every retry
// and restart. Nobody is acknowledged who must not be mailed automatically: a request mail
// that was itself automatic (RFC 3834 — a ServiceNow notification carries
// `Auto-Submitted: auto-generated`, decided at intake), the instance's own senders
// (servicenow.senders), or a route with `acknowledge: false`. Why none was sent is kept.
// `limits.max_replies_per_hour` (rejection replies) does not cover acknowledgements: they go
// only to requesters who passed the allow-list, already limited per day
// (`max_requests_per_sender_per_day`), and an acknowledgement held back was skipped for good —
// that request's requester could never cancel, remind, extend or ask by reply
// (conversation review M2: six offer letters in one batch, five acknowledged).
import type { Config } from '../config/schema.ts';
import { enqueueMail, newMessageId } from '../jobs/send-mail.ts';
import { composeAcknowledgement } from '../notices/compose-acknowledgement.ts';
import { recordGetsNotes } from '../notices/queue-record-update.ts';
import type { ProviderTraits } from '../providers/provider.ts';
import { getAcknowledgement, settleAcknowledgement } from '../store/conversation.ts';
import type { Db } from '../store/open-database.ts';
import { getDocuments, getRequest } from '../store/requests.ts';
import { conversationAddress, newReplySecret } from './conversation-address.ts';
import { intakePolicyFrom, isInstanceAddress } from './intake-policy.ts';
import { requestMailOf } from '../store/request-mail-event.ts';

/** Call inside the transaction that records the `sent` state. Returns whether a mail was queued. `closesAt`: the send's SendResult.closesAt. */
export function queueAcknowledgement(db: Db, config: Config, provider: ProviderTraits, requestId: string, now: Date, closesAt?: Date): boolean {
  const ack = getAcknowledgement(db, requestId);
  // A request from before the conversation existed, or one decided already (a resumed send).
  if (!ack || ack.messageId !== null || ack.skipped !== null) return false;
  const request = getRequest(db, requestId)!;
  const why = skipReason(config, request.route, request.requester, ack.noReplyReason);
  if (why !== null) {
    settleAcknowledgement(db, requestId, { skipped: why }, now);
    return false;
  }
  // Both random, neither derived from the request token (which every signer sees): a reply is matched by one of them.
  const messageId = newMessageId('acknowledgement', config.smtp.from);
  const replySecret = newReplySecret();
  const message = composeAcknowledgement(request, getDocuments(db, requestId), provider, {
    from: config.smtp.from, replyTo: conversationAddress(config.mailboxes.requests.address, replySecret), messageId,
    recordNotes: recordGetsNotes(config, request), notDocuments: requestMailOf(db, requestId)?.notDocuments,
  }, closesAt);
  enqueueMail(db, { requestId, purpose: 'acknowledgement', message }, now);
  settleAcknowledgement(db, requestId, { messageId, replySecret }, now);
  return true;
}

function skipReason(config: Config, routeName: string, requester: string, noReplyReason: string | null): string | null {
  if (noReplyReason !== null) return `the request mail is not answered automatically: ${noReplyReason}`;
  const route = Object.hasOwn(config.routes, routeName) ? config.routes[routeName] : undefined;
  if (route && !route.acknowledge) return `routes.${routeName}.acknowledge is false`;
  const policy = intakePolicyFrom(config);
  if (isInstanceAddress(policy, requester)) return `${requester} is the ServiceNow instance (servicenow.senders or inbound_address)`;
  return null;
}
