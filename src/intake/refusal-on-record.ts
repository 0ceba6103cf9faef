// A request started from a ServiceNow record (the update set's notification: machine mail,
// never answered by mail) that signrelay refuses must not vanish into Rejected: the agent
// who clicked would wait for a signature that never comes. When the refused mail is from
// the instance (servicenow.senders, or inbound_address) and names or watermarks a record,
// the operator gets an alert and — where the route delivers by REST — the record gets one
// work note saying why, through the record job (queue-record-update.ts), so it is written
// exactly once. Only a mail that asks for a signature — it carries a PDF, or a `Record:` or
// `Signer` line, as the update set's notification does — is reported: the instance's other
// notifications that reach the request address ("incident opened on your behalf") name a
// record too, and are filed without a word. Called inside the transaction that files the
// rejection; nothing is sent to a provider.
import { raiseAlert, type AlertDeps } from '../alerts/raise-alert.ts';
import { asksForSignature } from './asks-for-signature.ts';
import { isInstanceSender } from './intake-policy.ts';
import { queueRecordUpdate } from '../notices/queue-record-update.ts';
import { setRejectedRecord } from '../store/requests.ts';
import type { RequestMail } from './parse-request.ts';
import { mailFacts } from './mail-facts.ts';
import { routeFromAddress } from './route-from-address.ts';
import type { IntakePolicy, MailDecision } from './types.ts';

export interface RefusalOnRecordDeps extends AlertDeps {
  policy: IntakePolicy;
}

/** Returns whether the refusal was about a record (and so reported). */
export function reportRefusalOnRecord(deps: RefusalOnRecordDeps, mail: RequestMail | undefined, decision: MailDecision, requestId: string | null, at: Date): boolean {
  if (decision.action !== 'reject' || !decision.record || !mail || requestId === null || decision.authentication) return false;
  const sender = mailFacts(mail).sender;
  if (sender === null || !isInstanceSender(deps.policy, sender) || !asksForSignature(mail)) return false;
  const record = decision.record;
  const route = routeFromAddress(mail, deps.policy.requestAddress).route;
  setRejectedRecord(deps.db, requestId, Object.hasOwn(deps.config.routes, route) ? route : '', record, at);
  const named = record.number ?? (record.table && record.sysId ? `${record.table}/${record.sysId}` : 'a record');
  const noted = queueRecordUpdate(deps.db, deps.config, requestId, { event: 'not-sent', reason: decision.reason }, at);
  raiseAlert(deps, {
    kind: 'unprocessable', requestId,
    subject: `a request started from ServiceNow record ${named} was refused`,
    text: `The instance's notification for ${named} (from ${sender}) was not sent for signature:\n${decision.reason}\n` +
      (noted ? 'A work note on the record says why.' : 'The record is not told (its route does not deliver by REST, or work notes are off): tell the agent who clicked.'),
  });
  return true;
}

