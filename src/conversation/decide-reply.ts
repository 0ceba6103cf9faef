// What to do with a reply to an acknowledgement, decided without side effects — shared by the
// daemon and `signrelay explain`. The same rules as a request (docs/security.md): automatic
// mail (RFC 3834) is never acted on or answered; a From that is not what it shows, a sender
// who is neither the requester nor allowed by the route's `reply_commands_from` (an explicit
// opt-in: `allowed_senders` says who may send requests, not who may act on someone else's),
// or one failing the route's authentication requirement changes nothing and gets no answer
// (answering a stranger or a forged From would make signrelay a relay). A mail to the
// request token's address is no reply: the token is in the PDF every signer gets. Where no
// authentication is required, From proves nothing, so `cancel` (the one command that cannot
// be undone) is taken only from a reply to the secret address only the requester was sent. An allowed sender gets one
// answer: what was done, or why nothing was (no command, an unknown one, a state that does
// not allow it, a provider that cannot).
import type { ParsedMail } from 'mailparser';
import type { AuthenticationVerdict } from '../message/check-authentication.ts';
import { classifyAutomaticMail } from '../intake/classify-automatic-mail.ts';
import { requestBodyText } from '../message/html-to-text.ts';
import { isSmimePackage, smimeProblem } from '../message/smime.ts';
import { mailFacts } from '../intake/mail-facts.ts';
import { isInstanceAddress } from '../intake/intake-policy.ts';
import { chooseReplyAddress } from '../intake/reply-address.ts';
import { authenticateSender } from '../intake/sender-authenticated.ts';
import type { IntakePolicy } from '../intake/types.ts';
import { bareAddress } from '../message/mail-headers.ts';
import { isSenderAllowed } from '../message/sender-allowed.ts';
import type { ProviderTraits } from '../providers/provider.ts';
import { recordValue } from '../servicenow/record-text.ts';
import type { RequestRow } from '../store/requests.ts';
import { latestDue } from '../intake/parse-due.ts';
import { parseReplyCommand, type ReplyCommand } from './parse-reply-command.ts';
import { ownAddressesOf } from '../intake/signer-address-problems.ts';

export type ReplyMail = Pick<ParsedMail, 'headerLines' | 'headers' | 'from' | 'replyTo' | 'subject' | 'messageId' | 'references' | 'text' | 'textAsHtml' | 'html' | 'attachments'>;

/** The request a reply was matched to, and how (process-reply-mail.ts findRepliedRequest). */
export interface RepliedRequest {
  request: RequestRow | undefined;
  via: 'secret' | 'message-id' | 'token';
  by: string;
  /** Found by a References entry alone, the mail sent to the plain request address (findReply decides whether it is a reply). */
  referencesOnly?: boolean;
  /**
   * Who sent the request mail (its From), when that is not the requester: a mail with a
   * Reply-To (a shared mailbox) made that address the requester, and the person who sent it
   * may act too. Absent for requests recorded before their request mail's event was.
   */
  sentBy?: string;
}

export interface ReplyDecision {
  /** carry-out: the command is done (cancel queued at once; remind, extend, status by a job); answer: only answered; ignore: filed, no answer. */
  action: 'carry-out' | 'answer' | 'ignore';
  requestId: string | null;
  command: ReplyCommand;
  sender: string | null;
  /** Why, for the mail's filing and `explain`. */
  reason: string;
  /** Who is answered; null for `ignore`. */
  answerTo: string | null;
  /** For `answer`: what it says (our sentence with inert values); the job's for a command carried out. */
  answer: string | null;
  /** For extend: the due date asked for, resolved. */
  due?: string;
  authentication?: AuthenticationVerdict;
}

export function decideReply(mail: ReplyMail, found: RepliedRequest, policy: IntakePolicy, provider: Pick<ProviderTraits, 'displayName' | 'capabilities'>, now: Date): ReplyDecision {
  const { request } = found;
  const ignore = (reason: string, extra: Partial<ReplyDecision> = {}): ReplyDecision => ({
    action: 'ignore', requestId: request?.id ?? null, command: { name: 'none' }, sender: null, reason, answerTo: null, answer: null, ...extra,
  });
  const automatic = classifyAutomaticMail(mail, policy.ownAddresses, policy.requestAddress);
  if (automatic) return ignore(`a reply that is automatic mail (${automatic.reason}): no command is taken from it, and it is not answered`);
  const facts = mailFacts(mail);
  if (facts.addressProblem !== null) return ignore(`${facts.addressProblem}: filed without an answer`);
  const sender = facts.sender;
  if (sender === null) return ignore('the reply has no From address: filed without an answer');
  if (found.via === 'token') {
    return ignore(`a mail to a request token's address (${found.by}) is neither a request nor a reply command: the token is printed in the PDF every signer gets, so it proves nothing; commands are taken only as replies to the acknowledgement; filed without an answer, nothing changed`, { sender });
  }
  if (!request) return ignore('a reply to a request signrelay does not know (its token or acknowledgement is not in the database): filed without an answer', { sender });

  const route = Object.hasOwn(policy.routes, request.route) ? policy.routes[request.route] : undefined;
  const routeList = route?.reply_commands_from ?? [];
  const mayAct = (address: string) => mayActOn(request, address, policy, found.sentBy);
  const setting = `routes.${request.route}.reply_commands_from`;
  if (!mayAct(sender)) {
    const sentBy = found.sentBy === undefined ? '' : `, who sent it (${found.sentBy}),`;
    return ignore(`${sender} may not act on request ${request.id}: only its requester (${request.requester})${sentBy} or an address ${setting} lists may${routeList.length === 0 ? ` (it lists none)` : ''}; filed without an answer`, { sender });
  }
  const authentication = authenticateSender(mail, sender, policy, request.route, route);
  if (authentication?.problem) return ignore(authentication.problem, { sender, authentication: authentication.verdict });
  const authenticated = (route?.require_authentication ?? policy.authentication.require).length > 0;
  const answer = chooseReplyAddress(facts, {
    allowed: mayAct, allowedSetting: `the requester or ${setting}`,
    authenticated,
    ownAddresses: ownAddressesOf(policy),
    isInstance: (address) => isInstanceAddress(policy, address),
  });
  if (answer.to === null) return ignore(`nobody may be answered: ${answer.note ?? 'no address'}`, { sender });
  // The instance files what it is sent on a record (reply-address.ts): it gets no answers by mail.
  if (isInstanceAddress(policy, answer.to)) return ignore(`${answer.to} is the ServiceNow instance, which is never answered by mail: filed without an answer`, { sender });

  const command = parseReplyCommand(requestBodyText(mail));
  const base = { requestId: request.id, command, sender, answerTo: answer.to, ...(authentication ? { authentication: authentication.verdict } : {}) };
  const refuse = (why: string): ReplyDecision => ({ ...base, action: 'answer', reason: why, answer: `${why} Nothing was changed.` });
  const state = request.state;
  // Opaque-signed or encrypted: the first line the writer wrote is inside smime.p7m.
  if ((command.name === 'none' || command.name === 'unknown') && (mail.attachments ?? []).some(isSmimePackage)) {
    return refuse(`signrelay cannot read your reply: ${smimeProblem('reply')}.`);
  }
  switch (command.name) {
    case 'none':
      return refuse(`signrelay found no command on the first line of your reply.${newRequestHint(mail, policy)}`);
    case 'unknown':
      return refuse(`The first line of your reply, "${recordValue(command.line)}", is not a command signrelay can carry out: ${command.problem}.${newRequestHint(mail, policy)}`);
    case 'status':
      return { ...base, action: 'carry-out', reason: `status of request ${request.id}, asked by ${sender}`, answer: null };
    case 'cancel':
    case 'remind':
    case 'extend': {
      if (state !== 'sent') return refuse(`Request ${request.id} cannot be ${PAST[command.name]}: ${stateWords(state)}.`);
      // Where no authentication is required a From proves nothing, and a thread's Message-IDs are
      // no secret (a forwarded acknowledgement shows them): what a reply cannot undo — a
      // withdrawal, a later due date — is taken only from a reply to the secret address. The
      // writer's client most likely answered the From instead of the Reply-To: this answer's
      // Reply-To is the secret address, so replying to it works.
      const bySecretOnly = (does: string, write: string) => refuse(`signrelay ${does} by reply only when the reply goes to the acknowledgement's own reply address, and yours went to another address (mail clients sometimes answer the From instead of the Reply-To). Reply "${write}" to this mail — it carries that address — or ask the signrelay administrators.`);
      if (command.name === 'cancel') {
        if (!provider.capabilities.cancel) return refuse(`${provider.displayName} cannot withdraw a sent request, so signrelay does not cancel it.`);
        if (!authenticated && found.via !== 'secret') return bySecretOnly('cancels', 'cancel REASON');
        return { ...base, action: 'carry-out', reason: `cancel request ${request.id}, asked by ${sender}`, answer: null };
      }
      if (command.name === 'remind') {
        if (!provider.capabilities.remind) {
          return refuse(`${provider.displayName} cannot send reminders on request: it reminds the signers who have not signed by itself, as set when the request was sent (the first signer the route's days before the due date, a later one after waiting half as long).`);
        }
        return { ...base, action: 'carry-out', reason: `remind the signers of request ${request.id}, asked by ${sender}`, answer: null };
      }
      const due = 'date' in command.until ? command.until.date : addDays(request.dueDate, command.until.days);
      const today = now.toISOString().slice(0, 10);
      if (due <= request.dueDate) return { ...refuse(`${due} is not later than the current due date ${request.dueDate}: extend moves the due date later.`), due };
      if (due <= today) return { ...refuse(`${due} is not after today (${today}).`), due };
      if (due > latestDue(now)) return { ...refuse(`${due} is more than ten years away: extend to a nearer date.`), due };
      // Signicat's tasks get their days to live when the order is made (provider.ts capabilities.extend).
      if (!provider.capabilities.extend) return { ...refuse(`${provider.displayName} cannot move the due date of a sent request through its API, so it stays ${request.dueDate}.`), due };
      if (!authenticated && found.via !== 'secret') return { ...bySecretOnly('moves a due date', `extend ${due}`), due };
      return { ...base, action: 'carry-out', reason: `move the due date of request ${request.id} from ${request.dueDate} to ${due}, asked by ${sender}`, answer: null, due };
    }
  }
}

/**
 * Whether an address may act on a request by reply: its requester, whoever sent the request
 * mail (`sentBy`, when that was another address), or one the route's `reply_commands_from` lists.
 */
export function mayActOn(request: Pick<RequestRow, 'requester' | 'route'>, address: string, policy: Pick<IntakePolicy, 'routes'>, sentBy?: string): boolean {
  const route = Object.hasOwn(policy.routes, request.route) ? policy.routes[request.route] : undefined;
  const routeList = route?.reply_commands_from ?? [];
  const bare = bareAddress(address);
  return bare === bareAddress(request.requester) || (sentBy !== undefined && bare === bareAddress(sentBy))
    || (routeList.length > 0 && isSenderAllowed(address, routeList));
}

/** A reply that carries a PDF was most likely meant as a new request: say where one goes. */
function newRequestHint(mail: ReplyMail, policy: IntakePolicy): string {
  const pdf = (mail.attachments ?? []).some((a) => a.contentType?.toLowerCase() === 'application/pdf' || /\.pdf$/i.test(a.filename ?? ''));
  return pdf ? ` A reply to an acknowledgement is never a new request, so its PDF was not sent for signature: send the document as a new mail to ${policy.requestAddress}.` : '';
}

const PAST = { cancel: 'cancelled', remind: 'reminded', extend: 'extended' } as const;

export function stateWords(state: RequestRow['state']): string {
  switch (state) {
    case 'completed': return 'it is signed already and is being delivered';
    case 'delivered': return 'it is signed and on the record';
    case 'cancelled': return 'it was withdrawn';
    case 'failed': return 'it failed and waits for the signrelay administrators';
    case 'declined': return 'a signer declined it';
    case 'expired': return 'its due date passed';
    default: return `it is not out for signature (it is ${state})`;
  }
}

function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
