// A request mail → a decision: ignore it, reject it (with or without a reply), or a draft
// request. Pure and synchronous: the raw mail is parsed (and forwards opened) beforehand by
// read-request-mail.ts; `now` is a parameter. Every problem the requester can fix is
// collected, so one reply lists them all.
import type { ParsedMail } from 'mailparser';
import { classifyAutomaticMail } from './classify-automatic-mail.ts';
import { findDocuments, isPdfAttachment } from './find-documents.ts';
import { isSmimePackage, smimeProblem } from '../message/smime.ts';
import { findRecord } from './find-record.ts';
import { isInstanceAddress, isInstanceSender } from './intake-policy.ts';
import { requestText, type ForwardedText } from '../message/read-request-mail.ts';
import { mailFacts } from './mail-facts.ts';
import { parseDue } from './parse-due.ts';
import { parseSigners } from './parse-signers.ts';
import { routeFromAddress, unknownRouteProblem } from './route-from-address.ts';
import { chooseReplyAddress, type ReplyAddress } from './reply-address.ts';
import { isSenderAllowed, isSenderAllowedAnywhere } from '../message/sender-allowed.ts';
import { authenticateSender } from './sender-authenticated.ts';
import { ownAddressesOf, signerAddressProblems } from './signer-address-problems.ts';
import type { AuthenticationVerdict } from '../message/check-authentication.ts';
import type { IntakePolicy, MailDecision, RecordRef } from './types.ts';
import { MAX_PROBLEM_CHARS, MAX_PROBLEMS } from './compose-reply.ts';
import { quoteOutside } from '../outside-text.ts';

export type RequestMail = Pick<
  ParsedMail,
  'headerLines' | 'headers' | 'from' | 'replyTo' | 'to' | 'cc' | 'subject' | 'messageId' | 'references' | 'text' | 'textAsHtml' | 'html' | 'attachments'
> & ForwardedText;

/** A mail its headers let through: who sent it, to which route, and who may be answered. */
interface Screened {
  sender: string;
  facts: ReturnType<typeof mailFacts>;
  match: ReturnType<typeof routeFromAddress>;
  route: NonNullable<IntakePolicy['routes'][string]>;
  authentication: ReturnType<typeof authenticateSender>;
  answer: ReplyAddress;
  noReplyReason: string | null;
}

/**
 * The first half of the decision, from what the headers (and each part's MIME header) say:
 * a machine's mail, a disguised or unknown sender, an unknown route, one the sender may not
 * use, a failed authentication — decided before anything of the content is read.
 */
function screenRequestMail(mail: RequestMail, policy: IntakePolicy): { decided: MailDecision } | { screened: Screened } {
  const decided = (decision: MailDecision) => ({ decided: decision });
  const automatic = classifyAutomaticMail(mail, policy.ownAddresses, policy.requestAddress);
  if (automatic?.kind === 'ignore') return decided({ action: 'ignore', reason: automatic.reason, reply: false });
  const noReplyReason = automatic?.reason ?? null;
  const facts = mailFacts(mail);
  // An address that is not what it shows (or a second From) is a disguise: never answered.
  if (facts.addressProblem !== null) return decided(reject([`${facts.addressProblem}: filed without a reply`], null));
  const sender = facts.sender;
  if (sender === null) return decided(reject(['the mail has no From address: send it from a mailbox that can receive replies'], null));

  const match = routeFromAddress(mail, policy.requestAddress);
  const route = Object.hasOwn(policy.routes, match.route) ? policy.routes[match.route] : undefined;
  if (!route) {
    const unknownRouteAuth = authenticateSender(mail, sender, policy, match.route);
    if (unknownRouteAuth?.problem) return decided(unauthenticated(unknownRouteAuth.verdict, unknownRouteAuth.problem));
    // Answer only someone who may use signrelay at all: a guessed address is no reason to reply.
    const answer = chooseReplyAddress(facts, {
      allowed: (address) => isSenderAllowedAnywhere(address, policy.routes), allowedSetting: 'any route\'s allowed_senders',
      authenticated: policy.authentication.require.length > 0, ownAddresses: ownAddressesOf(policy), isInstance: (address) => isInstanceAddress(policy, address),
    });
    return decided(reject([unknownRouteProblem(match, policy.requestAddress, Object.keys(policy.routes))], replyable(answer, noReplyReason, policy)));
  }
  if (!isSenderAllowed(sender, route.allowed_senders)) {
    return decided(reject([`${sender} may not send requests to route "${match.route}": ask the signrelay operator to add it to routes.${match.route}.allowed_senders`], null));
  }
  // Never answered: a reply to a forged From would be backscatter.
  const authentication = authenticateSender(mail, sender, policy, match.route, route);
  if (authentication?.problem) return decided(unauthenticated(authentication.verdict, authentication.problem));
  const answer = chooseReplyAddress(facts, {
    allowed: (address) => isSenderAllowed(address, route.allowed_senders), allowedSetting: `routes.${match.route}.allowed_senders`,
    authenticated: (route.require_authentication ?? policy.authentication.require).length > 0, ownAddresses: ownAddressesOf(policy),
    isInstance: (address) => isInstanceAddress(policy, address),
  });
  return { screened: { sender, facts, match, route, authentication, answer, noReplyReason } };
}

/**
 * A mail refused from its headers alone, and not answered — a machine's, a stranger's, a
 * forged one — or null: the rest of the mail must be read. What the whole decision would say
 * (the same code decides): a large mail's attachments need not be downloaded for it.
 */
export function refusedUnread(mail: RequestMail, policy: IntakePolicy): MailDecision | null {
  const screen = screenRequestMail(mail, policy);
  return 'decided' in screen && !screen.decided.reply ? screen.decided : null;
}

export function parseRequestMail(mail: RequestMail, policy: IntakePolicy, now: Date): MailDecision {
  const screen = screenRequestMail(mail, policy);
  if ('decided' in screen) return screen.decided;
  const { sender, facts, match, route, authentication, answer, noReplyReason } = screen.screened;

  // Opaque-signed or encrypted: the PDF and the lines are inside smime.p7m, and any other
  // problem named (no PDF, no signer) would send the requester looking for the wrong mistake.
  if (mail.attachments.some(isSmimePackage) && !mail.attachments.some(isPdfAttachment)) {
    return reject([smimeProblem('request')], replyable(answer, noReplyReason, policy));
  }
  const body = requestText(mail);
  const fromInstance = isInstanceSender(policy, sender);
  const record = findRecord({ subject: facts.subject, body, html: mail.html }, policy.records, route, deliveryTables(policy), fromInstance, (route.delivery ?? policy.delivery) === 'email');
  const signers = parseSigners(body, { name: match.route, signers: route.signers }, policy.limits.max_signers);
  const due = parseDue(body, route.due_days, now);
  const documents = findDocuments(mail.attachments ?? [], policy.limits);
  const addressProblems = signerAddressProblems(signers.value.signers.map((s) => s.email), policy);
  const problems = [...documents.problems, ...record.problems, ...signers.problems, ...addressProblems, ...due.problems];
  if (problems.length > 0 || due.value === null || answer.to === null) {
    return reject(problems.length > 0 ? problems : [answer.note ?? 'nobody may be answered'], replyable(answer, noReplyReason, policy), record.value);
  }

  return {
    action: 'request',
    reason: `request for route "${match.route}" with ${documents.value.length} document(s)`,
    reply: false,
    sender,
    authentication: authentication?.verdict,
    draft: {
      route: match.route,
      record: record.value,
      signers: signers.value.signers,
      signersFrom: signers.value.from,
      due: due.value,
      dueFrom: due.from,
      documents: documents.value,
      notDocuments: documents.others,
      requester: answer.to,
      requesterNote: answer.note,
      ignoredWatermark: record.ignoredWatermark ?? null,
      messageId: facts.messageId,
      subject: facts.subject,
      references: facts.references,
      noReplyReason,
    },
  };
}

/**
 * The reason logged and stored: one problem as it is, several as a short list, one a line —
 * bounded as the reply bounds them (a mail with 900 attachments that claim to be PDFs made a
 * megabyte of reason).
 */
export function joinProblems(problems: readonly string[]): string {
  // Each on one line, its control characters spaces: a problem quotes the mail's own line
  // (`"Due: …" is not a due date`), and the reason is stored and quoted in the operators'
  // alert mail as it is — a terminal escape in a Due: line reached it raw (fuzz review L1).
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => quoteOutside(p, MAX_PROBLEM_CHARS));
  if (problems.length === 1) return shown[0]!;
  const more = problems.length > MAX_PROBLEMS ? `\n- and ${problems.length - MAX_PROBLEMS} more` : '';
  return shown.map((p) => `- ${p}`).join('\n') + more;
}

/** A rejection, answered when `to` is an address that may be answered; `record`, when the mail named one. */
function reject(problems: string[], to: { to: string; note: string | null } | null, record: RecordRef | null = null): MailDecision {
  return { action: 'reject', reason: joinProblems(problems), problems, reply: to !== null, ...(to ? { replyTo: to.to, replyNote: to.note } : {}), ...(record ? { record } : {}) };
}

function unauthenticated(authentication: AuthenticationVerdict, problem: string): MailDecision {
  return { action: 'reject', reason: problem, problems: [problem], reply: false, authentication };
}

/**
 * Who a rejection goes to: nobody for a mail that must not be answered automatically (RFC
 * 3834), nor the ServiceNow instance — its inbound actions would file the rejection on a
 * record; a refused request the instance sent is told on its record instead (refusal-on-record.ts).
 */
function replyable(answer: ReplyAddress, noReplyReason: string | null, policy: IntakePolicy): { to: string; note: string | null } | null {
  if (noReplyReason !== null || answer.to === null || isInstanceAddress(policy, answer.to)) return null;
  return { to: answer.to, note: answer.note };
}

/** The tables signrelay delivers to: those of `records` and every route's `table`. */
function deliveryTables(policy: IntakePolicy): string[] {
  return [...Object.values(policy.records), ...Object.values(policy.routes).flatMap((r) => (r.table ? [r.table] : []))].map((t) => t.toLowerCase());
}

