// The return watcher's handler: a completion mail is only a trigger. It is checked
// (sender allow-list), matched to a sent request (match-completion), and — in ONE SQLite
// transaction with the mail's key — turned into a `complete` job that asks the provider
// and downloads the authoritative copy (or, when one is pending, handed to that job and
// made due now, with the PDFs it carried for completion.trust_attachment). Unmatched or unauthentic mail goes to the
// Unmatched folder with an audit event and an operator alert — so does a mail whose clues
// name two different requests (a token is bound to its own request: it cannot carry
// another's document); a second completion mail for a request already completed is
// recorded and filed, never delivered twice.
import type { ParsedMail } from 'mailparser';
import { raiseAlert } from '../alerts/raise-alert.ts';
import type { Config } from '../config/schema.ts';
import { describeError } from '../errors.ts';
import { defuseLinks, quoteOutside } from '../outside-text.ts';
import { isPdfContent } from '../pdf/is-pdf.ts';
import { addressesInText, addressesOf, addressParts, bareAddress, rawHeaderValues } from '../message/mail-headers.ts';
import { checkAuthentication, describeFailure } from '../message/check-authentication.ts';
import { requestBodyText } from '../message/html-to-text.ts';
import { readRequestMail } from '../message/read-request-mail.ts';
import { headerAddresses } from '../message/mail-address.ts';
import { isSenderAllowed } from '../message/sender-allowed.ts';
import { completionSenders, providerTraits } from '../providers/provider-traits.ts';
import { cleanFileName } from '../message/safe-file-name.ts';
import type { Logger } from '../log.ts';
import type { MessageOutcome as WatcherOutcome, WatchedMessage } from '../mail/imap-watcher.ts';
import { readTokenFromPdf } from '../pdf/pdf-tasks.ts';
import { tokenFromFileName } from '../pdf/token-places.ts';
import type { BlobStore } from '../store/blobs.ts';
import { addEvent, lastEffectPhase } from '../store/events.ts';
import { enqueueJob, jobsForRequest, releaseWaitingJobs } from '../store/jobs.ts';
import { queueCompletionTrigger, type MailedPdf } from '../store/completion-triggers.ts';
import { findMessage, findMessageById, recordMessage, type MessageOutcome } from '../store/messages.ts';
import type { Db } from '../store/open-database.ts';
import { getRequestByDocumentReference, getRequestByToken, type RequestRow } from '../store/requests.ts';
import { candidateReferences, describeConflict, matchCompletion, recipientTokens, type CompletionClues } from './match-completion.ts';

export const RETURNS_MAILBOX = 'returns';
/** PDFs kept from one completion mail (trust_attachment): a mail of a thousand PDFs is not a thousand checks. */
const MAX_PDFS_PER_MAIL = 10;
/** A completion mail's PDFs whose token is read, when its address carries none (the provider sends one per document). */
const MAX_TOKEN_PDFS = 3;
/** A completion mail larger than this is read without its attachments' bytes (fetchOutline) when they are not needed. */
const OUTLINE_ABOVE_BYTES = 256 * 1024;
/** Reference-like words of a mail kept with its event: how a lost send's order is found again (Signicat's order notice). */
const MAX_KEPT_REFERENCES = 20;

export interface CompletionIntakeDeps {
  db: Db;
  blobs: BlobStore;
  config: Config;
  logger: Logger;
  now?: () => Date;
  jobsQueued?: () => void;
}

export interface CompletionMailHandler {
  handle(message: WatchedMessage): Promise<WatcherOutcome>;
  /** Files a mail that could not be processed (see with-attempt-limit) as unmatched. */
  giveUp(message: WatchedMessage, reason: string): WatcherOutcome;
}

export function createCompletionMailHandler(deps: CompletionIntakeDeps): CompletionMailHandler {
  const now = deps.now ?? (() => new Date());
  const folders = deps.config.mailboxes.returns;
  const traits = providerTraits(deps.config.provider);

  const file = (message: WatchedMessage, outcome: MessageOutcome, reason: string, folder: string, request: RequestRow | null, extra?: () => void): WatcherOutcome => {
    deps.db.transaction(() => {
      extra?.();
      recordMessage(deps.db, { mailbox: RETURNS_MAILBOX, place: message.place, uid: message.uid, messageId: message.messageId, outcome, reason, folder, requestId: request?.id ?? null }, now());
    })();
    deps.logger.info('completion mail filed', { uid: message.uid, outcome, reason, requestId: request?.id });
    return { moveTo: folder };
  };

  const unmatched = (message: WatchedMessage, reason: string, request: RequestRow | null, also?: { subject?: string; record?: () => void; carries?: string }): WatcherOutcome => {
    const outcome = file(message, 'unmatched', reason, folders.unmatched_folder, request, () => {
      also?.record?.();
      raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now }, {
        kind: 'unmatched', requestId: request?.id,
        subject: also?.subject ?? 'a completion mail matched no open request',
        text: `A mail in the return mailbox was filed in ${folders.unmatched_folder}: ${reason}.\nMessage-ID: ${message.messageId ?? '(none)'}\n${also?.carries ?? ''}Nothing was delivered. If it belongs to a request, look it up with its token or reference.`,
      });
    });
    deps.jobsQueued?.();
    return outcome;
  };

  const handle = async (message: WatchedMessage): Promise<WatcherOutcome> => {
    const key = { mailbox: RETURNS_MAILBOX, place: message.place, uid: message.uid };
    const known = findMessage(deps.db, key);
    if (known) return { moveTo: known.folder, filedBefore: true };
    if (message.messageId) {
      // A copy of a mail that was acted on is a duplicate. One filed in Unmatched changed
      // nothing, and an operator who moved it back (after fixing completion.allowed_senders,
      // say) means it to be read again: matching it only triggers the idempotent complete job.
      const earlier = findMessageById(deps.db, RETURNS_MAILBOX, message.messageId);
      if (earlier && earlier.outcome !== 'unmatched') return file(message, 'duplicate', `same Message-ID as the mail of ${earlier.seenAt}`, earlier.folder, null);
    }

    // An oversize mail is matched from its headers alone: the document comes from the API.
    // A large one is read without its attachments' bytes (the header, the text, the files'
    // names: every clue but a PDF's metadata, which is read only when the address has no
    // token) unless the mailed PDFs themselves may be used (trust_attachment).
    const oversize = message.size > deps.config.limits.max_mail_bytes;
    const outlined = !oversize && !deps.config.completion.trust_attachment && message.size > OUTLINE_ABOVE_BYTES;
    let mail: ParsedMail;
    try {
      mail = await readRequestMail(oversize ? await message.fetchHeaders() : outlined ? await message.fetchOutline() : await message.fetchSource());
    } catch (err) {
      return unmatched(message, `the mail could not be read (${describeError(err)})`, null);
    }

    // The From as it came: a decoded look-alike (x@xn--securedsigning-.com) must not pass.
    const from = headerAddresses(mail, 'from');
    if (from.problem !== null) return unmatched(message, `${from.problem}: not a sender signrelay can check`, null);
    const sender = from.addresses[0] ?? '';
    if (!isSenderAllowed(sender, completionSenders(deps.config))) {
      return unmatched(message, `the sender ${sender || '(none)'} is not in completion.allowed_senders`, null);
    }

    const overlayPage = deps.config.stamping.mode === 'overlay' ? deps.config.stamping.overlay.page : undefined;
    let clues = await cluesOf(mail, deps.config.mailboxes.returns.address, traits.referencePattern, overlayPage);
    const readAs = (read: 'headers' | 'outline' | 'whole') => deps.logger.debug('completion mail read', { uid: message.uid, messageId: message.messageId, size: message.size, read });
    readAs(oversize ? 'headers' : outlined ? 'outline' : 'whole');
    if (outlined && clues.recipientTokens.length === 0) {
      readAs('whole');
      // No token in the address: the PDF's own metadata may name the request — read the mail whole.
      try {
        mail = await readRequestMail(await message.fetchSource());
      } catch (err) {
        return unmatched(message, `the mail could not be read (${describeError(err)})`, null);
      }
      clues = await cluesOf(mail, deps.config.mailboxes.returns.address, traits.referencePattern, overlayPage);
    }
    const match = matchCompletion(clues, {
      byToken: (token) => getRequestByToken(deps.db, token),
      byReference: (reference) => getRequestByDocumentReference(deps.db, reference),
    });
    if (match.kind === 'none') return unmatched(message, 'no request token or document reference of a known request in it', null, { carries: whatItCarries(mail, clues) });
    if (match.kind === 'conflict') {
      // Forged or garbled: whichever clue came first must not decide which record gets a document.
      const reason = describeConflict(match.hits);
      return unmatched(message, reason, null, {
        subject: 'a completion mail names more than one request',
        record: () => match.hits.forEach((hit) => addEvent(deps.db, { requestId: hit.request.id, kind: 'mail', detail: { received: 'completion', conflict: true, via: hit.via, reason } }, now())),
      });
    }
    const { request, via } = match;

    if (request.state === 'completed' || request.state === 'delivered') {
      return file(message, 'duplicate', `request ${request.id} is already ${request.state}`, folders.processed_folder, request, () =>
        addEvent(deps.db, { requestId: request.id, kind: 'mail', detail: { received: 'completion', duplicate: true, via } }, now()));
    }
    // `stamped`/`uploaded`: the send may have happened and its answer been lost in a crash;
    // the submit job is resolving it. The complete job waits for it (not_sent_yet).
    const awaited = request.state === 'sent' || request.state === 'uploaded' || request.state === 'stamped';
    if (traits.isProgressNotice(mail.subject ?? '') && (awaited || request.state === 'cancelled')) {
      // Progress, not an end: kept for the order id it names, nothing to ask the provider yet.
      // A send whose answer was lost is found by it: the job waiting for it (the submit job
      // before sending again, or the cancel job of a request cancelled meanwhile, to withdraw
      // the order) asks at once.
      const sendUnknown = lastEffectPhase(deps.db, request.id, 'send') === 'intent';
      const outcome = file(message, 'notice', `a progress notice of request ${request.id}, matched by ${via}`, folders.processed_folder, request, () => {
        addEvent(deps.db, { requestId: request.id, kind: 'mail', detail: { received: 'notice', via, references: clues.references.slice(0, MAX_KEPT_REFERENCES) } }, now());
        if (!sendUnknown) return;
        const released = releaseWaitingJobs(deps.db, request.id, ['submit', 'cancel'], now());
        // A cancel that stopped waiting for this notice (it came late) withdraws the order it names now.
        if (released === 0 && request.state === 'cancelled' && !jobsForRequest(deps.db, request.id).some((j) => j.kind === 'cancel' && j.state === 'pending')) {
          enqueueJob(deps.db, { kind: 'cancel', requestId: request.id }, now());
        }
      });
      if (sendUnknown) deps.jobsQueued?.();
      return outcome;
    }
    // The other signers' tasks of an order a refusal or expiry ended: Signicat mails one end
    // notice per task, days apart (a task after a rejected one expires): none says anything
    // new, and each was an operator alert (Signicat review M5).
    if ((request.state === 'declined' || request.state === 'expired') && traits.isTaskEndNotice(mail.subject ?? '')) {
      return file(message, 'duplicate', `a later task's end notice of request ${request.id}, which is ${request.state} already`, folders.processed_folder, request, () =>
        addEvent(deps.db, { requestId: request.id, kind: 'mail', detail: { received: 'notice', duplicate: true, via } }, now()));
    }
    if (!awaited) return unmatched(message, `it matches request ${request.id}, which is ${request.state}, not waiting for signatures`, request);
    // A mailed PDF may stand in for the download only from mail the border MTA vouches for
    // (DKIM or DMARC aligned with the provider's From): every signer can mail the return
    // address from a forged provider address, with a copy they changed.
    const vouched = deps.config.completion.trust_attachment && !oversize ? vouchedFor(mail, sender) : undefined;
    if (vouched && !vouched.passed) deps.logger.warn('a completion mail\'s PDFs are not kept: its From is not authenticated; the signed copy is downloaded', { requestId: request.id, why: vouched.why });
    const attachments = vouched?.passed ? storeSignedAttachments(mail) : [];
    const outcome = file(message, 'completion', `matched request ${request.id} by ${via}`, folders.processed_folder, request, () => {
      // A job already pending takes this mail's PDFs and is due now: a later mail is never lost behind an earlier one.
      const trigger = queueCompletionTrigger(deps.db, request.id, attachments, now());
      // The PDFs the mail carried, and those kept as candidates for the signed copy (none when its From is not vouched for: the copy is downloaded) — `attachments=0` read as a mail without one (newcomer review L5).
      const carried = mail.attachments.filter((a) => isPdfContent(a.content)).length;
      addEvent(deps.db, { requestId: request.id, kind: 'mail', detail: { received: 'completion', via, references: clues.references.slice(0, MAX_KEPT_REFERENCES), pdfsInMail: carried, keptPdfs: attachments, trigger } }, now());
    });
    deps.jobsQueued?.();
    return outcome;
  };

  return { handle, giveUp: (message, reason) => unmatched(message, reason, null) };

  /** Whether the border MTA's Authentication-Results show DKIM or DMARC passing for the From's domain. */
  function vouchedFor(mail: ParsedMail, sender: string): { passed: boolean; why: string } {
    const fromDomain = addressParts(sender)?.domain.toLowerCase() ?? null;
    const headers = rawHeaderValues(mail, 'authentication-results');
    const trustedAuthservIds = deps.config.intake.authentication.trusted_authserv_ids;
    // Either method vouches: read both at once, and say why neither did.
    const verdict = checkAuthentication(headers, fromDomain, { require: ['dkim', 'dmarc'], trustedAuthservIds });
    if (verdict.methods.some((m) => m.passed)) return { passed: true, why: '' };
    return { passed: false, why: describeFailure(verdict, fromDomain) };
  }

  function storeSignedAttachments(mail: ParsedMail): MailedPdf[] {
    return mail.attachments
      .filter((a) => isPdfContent(a.content))
      .slice(0, MAX_PDFS_PER_MAIL)
      .map((a) => ({ fileName: cleanFileName(a.filename) || 'signed.pdf', sha256: deps.blobs.put(a.content) }));
  }
}

/**
 * What an unmatched completion mail from the provider says of itself, for the operator to find
 * its record by hand (restore review H3: a request sent after the backup a restored database
 * was taken from is unknown to it, and the alert named nothing but a Message-ID). Outside text,
 * each on one bounded line with its links defused.
 */
function whatItCarries(mail: ParsedMail, clues: CompletionClues): string {
  const line = (label: string, values: string[]) => (values.length > 0 ? `${label}: ${defuseLinks(quoteOutside(values.join(', '), 300))}\n` : '');
  const tokens = [...new Set([...clues.recipientTokens, ...clues.attachmentTokens])];
  return [
    line('Subject', mail.subject ? [mail.subject] : []),
    line('Request token(s) this database does not know', tokens),
    line('Document reference(s) this database does not know', clues.references),
    line('Attachments', mail.attachments.map((a) => a.filename ?? '(unnamed)').slice(0, 10)),
    tokens.length > 0 ? 'A request token signrelay made that its database does not know is what a database restored from a backup shows (a request sent after the backup was taken): find the record from the subject, attach the signed PDF in this mail by hand (see "Backup and upgrades" in docs/operations.md).\n' : '',
  ].join('');
}

/** Headers servers on the way write the original recipient in: Postfix, Exim, qmail, resending, Exchange. */
const ENVELOPE_RECIPIENT_HEADERS = ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to', 'resent-to', 'x-ms-exchange-organization-originalenveloperecipients'];
/** `Received: from … by … for <returns+TOKEN@corp.example>; date`: the recipient the hop was for. */
const RECEIVED_FOR = /\bfor\s+<?([^\s<>;]{1,254}@[^\s<>;]{1,254})>?/i;

/**
 * Every clue of the mail (match-completion.ts). A PDF is opened for the token in its
 * metadata only when the recipient address carries none: the address already decides then,
 * and reading a large signed PDF would cost more than the rest of the mail (the file names
 * and the text are still read, so a mail naming two requests is still caught).
 */
async function cluesOf(mail: ParsedMail, returnAddress: string, referencePattern: RegExp, overlayPage: number | undefined): Promise<CompletionClues> {
  const recipients = [
    ...addressesOf(mail.to), ...addressesOf(mail.cc),
    // Where a gateway rewrote the recipient (dropped the +TOKEN), the address it was sent to
    // survives in what the servers on the way recorded.
    ...ENVELOPE_RECIPIENT_HEADERS.flatMap((name) => rawHeaderValues(mail, name).flatMap(addressesInText)),
    ...rawHeaderValues(mail, 'received').flatMap((value) => RECEIVED_FOR.exec(value)?.[1] ?? []),
  ].map(bareAddress);
  const byAddress = recipientTokens(recipients, returnAddress);
  const attachmentTokens: string[] = [];
  let pdfsRead = 0;
  for (const attachment of mail.attachments) {
    const fromName = attachment.filename ? tokenFromFileName(attachment.filename) : undefined;
    if (fromName) attachmentTokens.push(fromName);
    // At most a few: a forged completion mail of thousands of small hostile PDFs would
    // otherwise hold the return mailbox for one worker time limit each.
    if (byAddress.length === 0 && pdfsRead < MAX_TOKEN_PDFS && isPdfContent(attachment.content)) {
      pdfsRead++;
      const fromPdf = await readTokenFromPdf(attachment.content, {}, overlayPage);
      if (fromPdf) attachmentTokens.push(fromPdf);
    }
  }
  return {
    recipientTokens: byAddress,
    // An HTML-only mail's text is its HTML converted (the parser is told not to): the references are in it.
    references: candidateReferences(referencePattern, mail.subject, requestBodyText(mail)),
    attachmentTokens,
  };
}
