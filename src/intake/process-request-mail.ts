// The request watcher's handler: one mail in, one committed outcome out. It decides
// (decide-request, which stamps each PDF as it inspects it — stamp-plan.ts), and then — in ONE SQLite transaction — records the
// request, its documents, the submit or reply job and the mail's key. Only after that
// commit does the watcher move the mail out of the folder, so a crash at any point either
// leaves the mail to be handled again or finds its outcome already recorded.
import type { ParsedMail } from 'mailparser';
import type { Config } from '../config/schema.ts';
import { alertRaisedSince, raiseAlert } from '../alerts/raise-alert.ts';
import { isSignrelayError, SignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { enqueueMail } from '../jobs/send-mail.ts';
import { createPerKeyLock } from '../mail/per-key-lock.ts';
import { cut, quoteOutside } from '../outside-text.ts';
import { writtenKey } from '../message/written-key.ts';
import type { WatchedMessage, MessageOutcome as WatcherOutcome } from '../mail/imap-watcher.ts';
import { newRequestToken } from '../pdf/build-tags.ts';
import { stampPdf } from '../pdf/pdf-tasks.ts';
import { isOverlayMisfit, stampedTooLargeError } from '../pdf/pdf-errors.ts';
import { stampedFileName } from '../pdf/token-places.ts';
import type { BlobStore } from '../store/blobs.ts';
import { countReplies, enqueueJob, repliesTo } from '../store/jobs.ts';
import { asksForSignature } from './asks-for-signature.ts';
import { findMessage, findMessageById, recordMessage } from '../store/messages.ts';
import { noteReplyPolicy } from '../store/conversation.ts';
import type { Db } from '../store/open-database.ts';
import { getDocuments, insertRequest, openRequestWithDocument, requestsTakenFrom, setDocumentStamped, transition } from '../store/requests.ts';
import { checkNamedRecord } from './check-named-record.ts';
import { checkWatermark, type WatermarkLookup } from './check-watermark.ts';
import { composeRejectionReply } from './compose-reply.ts';
import { mailFacts } from './mail-facts.ts';
import { decideFromSource, decideOversize, refusedFromOutline, replyOf, type RequestDecision } from './decide-request.ts';
import { mailboxKey } from '../ascii-address.ts';
import type { ProviderTraits } from '../providers/provider.ts';
import type { IntakePolicy } from './types.ts';
import { reportRefusalOnRecord } from './refusal-on-record.ts';
import { routeAddress, routeFromAddress } from './route-from-address.ts';
import { requesterAuthentication } from './sender-authenticated.ts';
import { addRequestMailEvent, authenticationWords } from '../store/request-mail-event.ts';
import { onSignaturePage, planStamps, stampServes, type StampPlan } from './stamp-plan.ts';

import { deliveryModeOf } from '../notices/delivery-mode.ts';
import { DAY_MS } from '../time.ts';
import { namedFiles } from './find-documents.ts';

export const REQUESTS_MAILBOX = 'requests';
/** A request mail larger than this is read in parts (WatchedMessage.fetchInParts). */
export const READ_IN_PARTS_ABOVE_BYTES = 4 * 1024 * 1024;

/** Rejection replies to one mailbox within a day: this many hours' worth of limits.max_replies_per_hour. */
const REPLY_HOURS_A_DAY = 4;

/** How much of a refused mail's subject is kept (a subject may be as long as a header block: 1 MB). */
const MAX_STORED_SUBJECT_CHARS = 1_000;

export interface RequestIntakeDeps {
  /** Asks the instance which record a watermark belongs to (check-watermark.ts). */
  watermarks?: WatermarkLookup;
  db: Db;
  blobs: BlobStore;
  config: Config;
  policy: IntakePolicy;
  logger: Logger;
  /** What the provider is: its name is stored with each request, its capabilities decide the stamping. */
  provider: ProviderTraits;
  now?: () => Date;
  /** Called after a job was committed, to wake the job runner. */
  jobsQueued?: () => void;
}

export function createRequestMailHandler(deps: RequestIntakeDeps): (message: WatchedMessage) => Promise<WatcherOutcome> {
  const now = deps.now ?? (() => new Date());
  const folders = deps.config.mailboxes.requests;

  // Mails are handled several at once (the watcher's concurrency); copies of one are not.
  const sameMail = createPerKeyLock();
  return (message) => sameMail.run(message.messageId, () => handle(message));

  async function handle(message: WatchedMessage): Promise<WatcherOutcome> {
    const key = keyOf(message);
    const log = deps.logger.child({ mailbox: REQUESTS_MAILBOX, uid: message.uid });

    // Seen before (a crash between commit and move, or a failed move): just move it.
    const known = findMessage(deps.db, key);
    if (known) return { moveTo: known.folder, filedBefore: true };
    const seen = duplicateOf(message, message.messageId, log);
    if (seen) return seen;

    // Never download an oversize mail: decide from its headers alone.
    const oversize = message.size > deps.config.limits.max_mail_bytes;
    // A large mail is read in parts, each attachment on its own: never the whole mail in
    // memory, nor its base64 through the parser. (A mail without a Message-ID is known by what
    // its sender wrote, body included — see below — so it is read whole, once its outline let it through.)
    let whole: Buffer | undefined;
    if (!oversize && message.size > READ_IN_PARTS_ABOVE_BYTES) {
      const { outline, downloadParts, whole: isWhole } = await message.fetchInParts();
      // A stranger's (or a machine's, or a forged) large mail is refused before its attachments come.
      const refused = await refusedFromOutline(outline, deps.policy);
      if (refused) return commitRejection(message, message.messageId, refused.mail, refused.decision, log);
      if (message.messageId !== null) {
        const parts = await downloadParts();
        log.debug('request mail read in parts', { size: message.size, parts: parts.size });
        return decideAndCommit(message, message.messageId, { source: outline, parts }, false, log);
      }
      // A mail of one part came whole as its outline: not downloaded again.
      if (isWhole) whole = outline;
    }
    const source = whole ?? (oversize ? await message.fetchHeaders() : await message.fetchSource());
    // A mail without a Message-ID is known by what its sender wrote, so a copy of it (delivered
    // twice, with other Received lines; seen again after a UIDVALIDITY change) is recognised.
    const messageId = message.messageId ?? (oversize ? null : writtenKey(source));
    if (message.messageId) return decideAndCommit(message, messageId, { source }, oversize, log);
    return sameMail.run(messageId, async () => duplicateOf(message, messageId, log) ?? decideAndCommit(message, messageId, { source }, oversize, log));
  }

  /** A mail whose Message-ID was seen before is filed where the first one went. */
  function duplicateOf(message: WatchedMessage, messageId: string | null, log: Logger): WatcherOutcome | undefined {
    const earlier = messageId ? findMessageById(deps.db, REQUESTS_MAILBOX, messageId) : undefined;
    if (!earlier) return undefined;
    recordMessage(deps.db, { ...keyOf(message), messageId, outcome: 'duplicate', reason: `same mail (${messageId}) as the one of ${earlier.seenAt}`, folder: earlier.folder, requestId: earlier.requestId }, now());
    log.info('duplicate request mail', { messageId, requestId: earlier.requestId });
    return { moveTo: earlier.folder };
  }

  async function decideAndCommit(message: WatchedMessage, messageId: string | null, { source, parts }: { source: Buffer; parts?: Map<string, Buffer> }, oversize: boolean, log: Logger): Promise<WatcherOutcome> {
    const plan = planStamps(deps.config, deps.provider.capabilities.textTags);
    const decided = oversize
      ? await decideOversize(source, message.size, deps.policy, now())
      : await decideFromSource(source, deps.policy, now(), plan, parts);
    const mail = decided.mail;
    let decision = decided.decision;
    if (decision.action === 'request') decision = await settleWatermark(decision, log);
    if (decision.action === 'request') decision = withinSenderLimit(decision, log);

    if (decision.action === 'request' && mail) {
      try {
        return await commitRequest(message, messageId, decision, plan);
      } catch (err) {
        // pdf-lib can refuse a PDF that passed inspection: that is the requester's to fix.
        if (!isSignrelayError(err) || err.kind !== 'input') throw err;
        decision = { action: 'reject', reason: err.message, problems: err.message.split('\n'), ...replyOf(decision.draft) };
      }
    }
    return commitRejection(message, messageId, mail, decision as Exclude<RequestDecision, { action: 'request' }>, log);
  }

  /**
   * Refuses (an input error: the requester is answered) the same PDF for the same record
   * while a request of it is still at work — a "Send for signature" clicked twice (two agents, one impatient one) sent the signers the same
   * document twice, and on an email route the instance's status field, which the button's
   * condition reads, is never set (ServiceNow review M4). Sent again on purpose, the first is
   * cancelled first. `originals`: the PDFs' hashes, as the blob store names them.
   */
  function notOutAlready(draft: Extract<RequestDecision, { action: 'request' }>['draft'], originals: readonly string[]): void {
    if (!draft.record) return;
    const earlier = openRequestWithDocument(deps.db, draft.record, originals);
    if (!earlier) return;
    const record = draft.record.number ?? draft.record.sysId ?? 'this record';
    // Of several documents, the requester is told which one is out (multidoc review L3).
    const earlierDocuments = getDocuments(deps.db, earlier.id);
    const sentBefore = new Set(earlierDocuments.map((d) => d.originalSha256));
    const out = draft.documents.filter((_, i) => sentBefore.has(originals[i]!)).map((d) => d.fileName);
    const what = draft.documents.length === 1 ? 'this document is' : `${out.join(', ')} ${out.length === 1 ? 'is' : 'are'}`;
    const others = draft.documents.length > out.length ? ' (or send the others in a mail without it)' : '';
    const first = `request ${earlier.id}, taken on ${earlier.createdAt.slice(0, 10)}`;
    // A failed one's signers were, or may have been, invited: only its operator can cancel it (a reply cannot).
    const signedBefore = earlier.state === 'failed' && earlierDocuments.every((d) => d.signedSha256);
    throw new SignrelayError('input', 'document_out_already', signedBefore
      // Signed, and failed on its way to the record: a retry delivers it; sending it again would have it signed twice (diff review 22 L3).
      ? `${what} already signed for ${record} (${first}), and that request failed on its way to the record: the signrelay administrators were told, and their retry delivers the signed copy — it need not be sent again. If it must be signed anew, ask them to cancel the first, then send this mail again${others}`
      : earlier.state === 'failed'
      ? `${what} already sent to its signers for ${record} (${first}), and that request failed afterwards and waits for the signrelay administrators. signrelay does not send the same document for one record twice. To send it again, ask the signrelay administrators to cancel the first, then send this mail again${others}`
      : `${what} already out for signing for ${record} (${first}): signrelay does not send the same document for one record twice. To send it again, cancel the first (reply "cancel" to its acknowledgement, or ask signrelay's operator), then send this mail again${others}`);
  }

  /**
   * A sender past limits.max_requests_per_sender_per_day within 24 hours is refused, told why,
   * and the operator alerted (kind sender-limit, held back as every kind is): a flow mailing in
   * a loop, or a mailbox in the wrong hands, is stopped at the limit instead of sending every
   * mail's document to its signers. Mails in hand at once may pass it by as many.
   */
  function withinSenderLimit(decision: Extract<RequestDecision, { action: 'request' }>, log: Logger): RequestDecision {
    const limit = deps.config.limits.max_requests_per_sender_per_day;
    const { requester } = decision.draft;
    const taken = requestsTakenFrom(deps.db, requester, new Date(now().getTime() - DAY_MS));
    if (taken < limit) return decision;
    log.warn('request refused: its sender reached limits.max_requests_per_sender_per_day', { requester, taken, limit });
    raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now }, {
      kind: 'sender-limit', subject: `${requester} reached limits.max_requests_per_sender_per_day`,
      text: `signrelay took ${taken} requests from ${requester} within 24 hours, limits.max_requests_per_sender_per_day (${limit}); more of its mails are refused with an answer saying so until the day's count falls below the limit. If that is a ServiceNow flow or a script mailing in a loop, stop it; if the mailbox is not in its owner's hands, lock it. If the volume is real, raise the limit and reload.`,
    });
    const problem = `signrelay has taken ${taken} requests from ${requester} within 24 hours, the most it takes from one sender: send this one again tomorrow, or ask signrelay's operator to raise the limit`;
    return { action: 'reject', reason: `${problem} (limits.max_requests_per_sender_per_day)`, problems: [problem], ...replyOf(decision.draft) };
  }

  /**
   * A watermark that names another record than the mail does is refused; one that cannot be checked is dropped.
   * On an email route, a record the instance does not hold is refused too (checkNamedRecord).
   */
  async function settleWatermark(decision: Extract<RequestDecision, { action: 'request' }>, log: Logger): Promise<RequestDecision> {
    const { draft } = decision;
    const check = await checkWatermark(draft, deliveryModeOf(deps.config, draft.route), deps.watermarks);
    if (check.kind === 'conflict') {
      log.warn('request names one record and carries another record\'s watermark', { record: draft.record?.number ?? draft.record?.sysId, watermark: draft.record?.watermark });
      return { action: 'reject', reason: check.problem, problems: [check.problem], ...replyOf(draft) };
    }
    if (check.kind === 'dropped') {
      log.warn('watermark not used: the named record decides', { watermark: draft.record?.watermark, why: check.why });
    }
    const settled = check.kind === 'dropped' ? { ...decision, draft: check.draft } : decision;
    // An instance that did not answer the watermark's lookup is not asked the same again (each waits up to INTAKE_LOOKUP_TIMEOUT_MS).
    const named = check.kind === 'dropped' && check.unanswered ? { unchecked: check.why } : await checkNamedRecord(settled.draft, deliveryModeOf(deps.config, draft.route), deps.watermarks);
    if (named && 'problem' in named) return { action: 'reject', reason: named.problem, problems: [named.problem], ...replyOf(draft) };
    if (named) log.warn('the named record could not be looked up at the instance; its number is taken as written', { record: draft.record?.number, why: named.unchecked });
    return settled;
  }

  async function commitRequest(message: WatchedMessage, messageId: string | null, decision: Extract<RequestDecision, { action: 'request' }>, plan: StampPlan): Promise<WatcherOutcome> {
    const { draft } = decision;
    const { token } = plan;
    // Blobs first: content-addressed, so a crash before the commit leaves only an orphan file.
    const originals = draft.documents.map((d) => deps.blobs.put(d.bytes));
    // Refused (an input error: the requester is answered) before a stamp is made or stored;
    // asked again in the commit's transaction, as two clicks' mails may be in hand at once.
    notOutAlready(draft, originals);
    const stamped = await stampAll(decision, plan);
    const stampedHashes = stamped.map((s) => deps.blobs.put(s.bytes));
    const at = now();
    const authenticated = requesterAuthentication(decision.authentication, draft.route, deps.policy.routes[draft.route]);
    const requestId = deps.db.transaction(() => {
      notOutAlready(draft, originals);
      const id = insertRequest(deps.db, {
        token, state: 'received', route: draft.route, provider: deps.provider.name, requester: draft.requester,
        subject: draft.subject, messageId: draft.messageId, record: draft.record, signers: draft.signers, signersFrom: draft.signersFrom, dueDate: draft.due, dueFrom: draft.dueFrom,
        documents: draft.documents.map((d, i) => ({ fileName: d.fileName, originalSha256: originals[i]! })),
      }, at);
      stamped.forEach((s, i) => setDocumentStamped(deps.db, id, i + 1, stampedHashes[i]!, s.uploadName));
      // How the requester was authenticated, beside the request it made (audit review M1).
      addRequestMailEvent(deps.db, id, { messageId: draft.messageId, from: decision.sender, ...authenticated, ...(draft.notDocuments.length > 0 ? { notDocuments: namedFiles(draft.notDocuments) } : {}) }, at);
      transition(deps.db, id, 'stamped', at);
      enqueueJob(deps.db, { kind: 'submit', requestId: id }, at);
      // Whether the requester may get the acknowledgement when it is sent: known only here (RFC 3834 headers).
      noteReplyPolicy(deps.db, id, draft.noReplyReason);
      recordMessage(deps.db, { ...keyOf(message), messageId: messageId ?? draft.messageId, outcome: 'request', reason: decision.reason, folder: folders.processed_folder, requestId: id }, at);
      return id;
    })();
    deps.logger.info('request accepted', {
      uid: message.uid, requestId, route: draft.route, record: draft.record?.number, signers: draft.signers.length, documents: draft.documents.length,
      authenticated: authenticationWords(authenticated.authenticated),
    });
    deps.jobsQueued?.();
    return { moveTo: folders.processed_folder };
  }

  /** Each document's stamp: the one made while deciding when the plan still asks for it, else made now. */
  async function stampAll(decision: Extract<RequestDecision, { action: 'request' }>, plan: StampPlan) {
    const { draft } = decision;
    const stamped = [];
    for (const [i, doc] of draft.documents.entries()) {
      const input = { ...plan.inputFor(draft, i), ownText: decision.pdfs[i] };
      const made = decision.prepared[i];
      // The configured overlay position may not fit this document's page: a signature page
      // always fits, and the requester should not pay for the configuration.
      const overlayRefused = (error: string) => deps.logger.warn('overlay does not fit this PDF; appending a signature page instead', { fileName: doc.fileName, error });
      let bytes: Uint8Array;
      if (made && stampServes(made, input)) {
        bytes = made.bytes;
        if (made.overlayRefused) overlayRefused(made.overlayRefused);
      } else {
        try {
          bytes = await stampPdf(doc.bytes, input);
        } catch (err) {
          if (!isOverlayMisfit(err)) throw err;
          overlayRefused(err.message);
          bytes = await stampPdf(doc.bytes, onSignaturePage(input));
        }
      }
      // Stamped again here (the decision's stamp no longer the one wanted): held to the same limit as the decision's.
      const limit = deps.config.limits.max_pdf_bytes;
      if (bytes.byteLength > limit) throw stampedTooLargeError(bytes.byteLength, limit, doc.fileName);
      stamped.push({ bytes, uploadName: stampedFileName(doc.fileName, plan.token) });
    }
    return stamped;
  }

  function commitRejection(message: WatchedMessage, knownId: string | null, mail: ParsedMail | undefined, decision: Exclude<RequestDecision, { action: 'request' }>, log: Logger): WatcherOutcome {
    const at = now();
    const replyTo = decision.action === 'reject' && decision.reply && mail !== undefined ? decision.replyTo : undefined;
    const messageId = knownId ?? mail?.messageId ?? null;
    let reply = false;
    let onRecord = false;
    let reason = decision.reason;
    deps.db.transaction(() => {
      // Counted and queued in one transaction: the limits hold however fast the mails come.
      const { max_replies_per_hour: limit, max_replies_per_hour_total: total } = deps.config.limits;
      const hourAgo = new Date(at.getTime() - 3_600_000);
      const dayAgo = new Date(at.getTime() - DAY_MS);
      const daily = limit * REPLY_HOURS_A_DAY;
      /** One alert per held-back episode (an address's hour or day, or all addresses' hour), however many mails the flood brings. */
      const heldBack = (since: Date, subject: string, text: string) => {
        if (alertRaisedSince(deps.db, 'replies', subject, since)) return;
        raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now }, { kind: 'replies', subject, text });
      };
      // The alert names the mailbox (mailboxKey), as the budget counts by it: one alert for every spelling of one inbox.
      const sentToday = replyTo ? repliesTo(deps.db, replyTo, dayAgo) : [];
      const today = sentToday.length;
      if (replyTo && sentToday.filter((at) => at >= hourAgo.toISOString()).length >= limit) {
        reason = `${reason}\n(not answered: ${limit} replies went to ${replyTo} within the hour, limits.max_replies_per_hour)`;
        heldBack(hourAgo, `replies to ${mailboxKey(replyTo)} held back`,
          `${replyTo} has been sent ${limit} rejection replies within the hour; more rejected mails are filed in ${folders.rejected_folder} without one. If it was not that address that wrote them, its From is being forged.`);
      } else if (replyTo && today >= daily) {
        // A flood paced under the hourly limit would still fill one inbox all day.
        reason = `${reason}\n(not answered: ${daily} replies went to ${replyTo} within the day, ${REPLY_HOURS_A_DAY} × limits.max_replies_per_hour)`;
        heldBack(dayAgo, `replies to ${mailboxKey(replyTo)} held back for the day`,
          `${replyTo} has been sent ${daily} rejection replies within the day (${REPLY_HOURS_A_DAY} × limits.max_replies_per_hour); more rejected mails are filed in ${folders.rejected_folder} without one until the day's count falls. If it was not that address that wrote them, its From is being forged.`);
      } else if (replyTo && countReplies(deps.db, hourAgo) >= total) {
        reason = `${reason}\n(not answered: ${total} rejection replies went out within the hour, limits.max_replies_per_hour_total)`;
        heldBack(hourAgo, 'rejection replies held back',
          `signrelay has sent ${total} rejection replies within the hour, to different addresses (limits.max_replies_per_hour_total); until fewer went out in the last hour, rejected mails are filed in ${folders.rejected_folder} without one. Many refused mails from many senders are a flood, their From likely forged: look at ${folders.rejected_folder}, and consider routes.*.allowed_senders and intake.authentication.`);
      } else if (replyTo && !asksForSignature(mail!) && today > 0) {
        // Nothing of a request in it, and answered already today: an autoresponder that marks
        // its mail with no header would otherwise be answered again and again (RFC 3834 §2).
        reason = `${reason}\n(not answered: ${replyTo} was sent a reply within the day, and this mail holds nothing of a request — no PDF, no Record: or Signer line — so it gets none more today)`;
      } else {
        reply = replyTo !== undefined;
      }
      let requestId: string | null = null;
      if (decision.action === 'reject') {
        requestId = insertRequest(deps.db, {
          token: newRequestToken(), state: 'rejected', route: '', provider: deps.provider.name,
          requester: replyTo ?? (mail ? mailFacts(mail).sender : null) ?? message.envelopeFrom ?? '',
          subject: cut(mail?.subject ?? '', MAX_STORED_SUBJECT_CHARS), messageId, record: null, signers: [], dueDate: '', reason, documents: [],
        }, at);
        onRecord = reportRefusalOnRecord({ db: deps.db, config: deps.config, logger: deps.logger, now, policy: deps.policy }, mail, decision, requestId, at);
      }
      if (reply) {
        const composed = composeRejectionReply(mail!, (decision.action === 'reject' && decision.problems) || [decision.reason], deps.config.smtp.from, { to: replyTo!, requestAddress: deps.policy.requestAddress, sendAgainTo: answerAddress(mail!, deps.policy) });
        enqueueMail(deps.db, { requestId, purpose: 'reply', message: composed }, at);
      }
      recordMessage(deps.db, { ...keyOf(message), messageId, outcome: decision.action === 'reject' ? 'rejected' : 'ignored', reason, folder: folders.rejected_folder, requestId }, at);
    })();
    if (decision.action === 'reject' && decision.authentication) {
      // Forged, or the border MTA could not vouch for it: the operator should know, the sender is not told.
      log.warn('request mail failed the authentication requirement; moved to Rejected without a reply', { reason: decision.reason, messageId });
    } else {
      log.info(decision.action === 'reject' ? 'request rejected' : 'mail ignored', { reason, reply, to: reply ? replyTo : undefined });
    }
    if (reply || onRecord) deps.jobsQueued?.();
    return { moveTo: folders.rejected_folder };
  }
}

/**
 * Where the requester is asked to send the mail again (the text and the Reply-To a client's
 * Reply takes): the route's own address when the mail came by a route there is, so the fixed
 * request keeps its route — its signers, allow-list, record table and delivery (outgoing
 * review M2: `sign+hr@`'s answer named `sign@`, and a Reply landed on the default route).
 */
function answerAddress(mail: ParsedMail, policy: IntakePolicy): string {
  const { route } = routeFromAddress(mail, policy.requestAddress);
  return Object.hasOwn(policy.routes, route) ? routeAddress(policy.requestAddress, route) : policy.requestAddress;
}

/** Files a request mail that could not be processed (see with-attempt-limit): Rejected, no reply, an alert. */
export function fileUnprocessableRequestMail(deps: RequestIntakeDeps, message: WatchedMessage, reason: string): WatcherOutcome {
  const now = deps.now ?? (() => new Date());
  const folder = deps.config.mailboxes.requests.rejected_folder;
  deps.db.transaction(() => {
    recordMessage(deps.db, { ...keyOf(message), messageId: null, outcome: 'rejected', reason, folder, requestId: null }, now());
    raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now }, {
      // Who sent it in the subject: a held-back summary lists its alerts by subject alone.
      kind: 'unprocessable', subject: `a request mail from ${quoteOutside(message.envelopeFrom || 'an unknown sender', 80)} could not be processed`,
      text: `A mail in the request mailbox (UID ${message.uid}, Message-ID ${quoteOutside(message.messageId ?? 'none', 200)}) was moved to ${folder} without a reply: ${reason}.\nLook at it there; the requester was not told. Once the cause is fixed, moving it back into ${deps.config.mailboxes.requests.folder} has it read again as a request.`,
    });
  })();
  deps.jobsQueued?.();
  return { moveTo: folder };
}

function keyOf(message: WatchedMessage) {
  return { mailbox: REQUESTS_MAILBOX, place: message.place, uid: message.uid };
}
