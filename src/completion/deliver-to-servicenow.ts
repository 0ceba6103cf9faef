// Puts a completed request's signed documents on its ServiceNow record — and beside them
// the provider's certificates when they were taken (collect-certificates.ts) — through the
// REST Attachment API (default) or as a mail to the instance's inbound address. Every upload,
// note and mail is an effect with an intent recorded before and a result after; after a
// crash an upload whose result is unknown is looked for on the record (same name, same
// sha256), and the work note in the record's journal (it names the request), before it is
// done again (record-effects.ts). A note the instance refuses for good (403: no write on
// the table) is an operator alert, and the signed document is delivered all the same.
import type { SendMailOptions } from 'nodemailer';
import type { Config } from '../config/schema.ts';
import { describeError, isOutcomeUnknown, isSignrelayError, SignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { newMessageId, recipientsOf, type MailSender } from '../jobs/send-mail.ts';
import { composeInboundEmail } from '../servicenow/compose-inbound-email.ts';
import { recordName, recordValue } from '../servicenow/record-text.ts';
import { uniqueFileNames } from '../message/safe-file-name.ts';
import type { UploadAttachmentInput } from '../servicenow/types.ts';
import type { BlobStore, StoredFile } from '../store/blobs.ts';
import { lastEffectPhase, listEvents } from '../store/events.ts';
import type { Db } from '../store/open-database.ts';
import { getDocuments, setDocumentAttachment, type DocumentRow, type RequestRow } from '../store/requests.ts';
import { recordSentMail } from '../store/sent-mails.ts';
import { deliveryModeOf } from '../notices/delivery-mode.ts';
import { addNoteOnce, alertRefusals, recordEffect, resolveRecord, waitWhileSettling, wasRefused, type RecordApi, type RecordRef } from './record-effects.ts';
import { noteMarker, signedNote } from '../notices/record-notes.ts';
import { providerTime } from '../providers/provider-time.ts';
import { operatorCommand } from '../service-unit.ts';
import { DAY_MS } from '../time.ts';
import { alertRaisedSince, raiseAlert } from '../alerts/raise-alert.ts';

/** As long as a stored file name may be (intake's safe-file-name). */
const MAX_FILE_NAME_CHARS = 120;

/** The slice of the ServiceNow client delivery needs (the real client satisfies it). */
export interface ServiceNowApi extends RecordApi {
  listAttachments(table: string, sysId: string, fileName?: string): Promise<Array<{ sysId: string; fileName: string; hash: string }>>;
  uploadAttachment(input: UploadAttachmentInput): Promise<{ sysId: string; hash: string }>;
}

export interface DeliveryDeps {
  db: Db;
  blobs: BlobStore;
  config: Config;
  servicenow: ServiceNowApi;
  smtp: MailSender;
  logger: Logger;
  now: () => Date;
}

/**
 * Each document's name on the record, without ".pdf": its file name (outside text, made
 * inert). Two names intake told apart may read alike once inert — `offer [v2].pdf` and
 * `offer (v2).pdf` — and are told apart again with " (2)", so no two signed copies (nor their
 * certificates) share a name on the record. In the documents' order: the same every time.
 */
function stemsOnRecord(documents: ReadonlyArray<Pick<DocumentRow, 'fileName'>>): string[] {
  const inert = documents.map((d) => `${recordName(d.fileName.replace(/\.pdf$/i, ''), MAX_FILE_NAME_CHARS)}.pdf`);
  return uniqueFileNames(inert).map((name) => name.slice(0, -'.pdf'.length));
}

/** The signed copies' names on the record: each document's name + "-signed.pdf". */
export function signedFileNames(documents: ReadonlyArray<Pick<DocumentRow, 'fileName'>>): string[] {
  return stemsOnRecord(documents).map((stem) => `${stem}-signed.pdf`);
}

/** The documents' certificates taken for the record (collect-certificates.ts), with their names there (the document's + our suffix). */
function certificatesOf(documents: DocumentRow[]): Array<{ seq: number; fileName: string; sha256: string; contentType: string }> {
  const stems = stemsOnRecord(documents);
  return documents.flatMap((d, i) => (d.certificate && 'sha256' in d.certificate
    ? [{ seq: d.seq, fileName: `${stems[i]}${d.certificate.fileSuffix}`, sha256: d.certificate.sha256, contentType: d.certificate.contentType }]
    : []));
}

/** The signed note, with the last signature's time the `completed` transition kept (complete-request.ts), if the provider gave one. */
function signedNoteOf(deps: DeliveryDeps, request: RequestRow, documents: DocumentRow[]): string {
  const completed = listEvents(deps.db, request.id).findLast((e) => e.kind === 'transition' && e.toState === 'completed');
  return signedNote(request, documents, providerTime(completed?.detail?.lastSignedAt));
}

export async function deliverToServiceNow(deps: DeliveryDeps, request: RequestRow): Promise<void> {
  const documents = getDocuments(deps.db, request.id);
  if (documents.some((d) => !d.signedSha256)) {
    throw new SignrelayError('permanent', 'not_signed', `request ${request.id} has no signed copy of every document`);
  }
  if (deliveryModeOf(deps.config, request.route) === 'email') return deliverByEmail(deps, request, documents);
  return deliverByRest(deps, request, documents);
}

type Phase = 'intent' | 'done' | 'failed' | 'skipped' | 'refused' | 'altered';
const effect = (deps: DeliveryDeps, requestId: string, name: string, phase: Phase, detail: Record<string, unknown> = {}) =>
  recordEffect(deps, requestId, name, phase, detail);

interface FileForRecord {
  /** The effect's name in the audit trail: attach-N (the signed copy), certificate-N. */
  effect: string;
  fileName: string;
  sha256: string;
  contentType: string;
}

/**
 * One file on the record, exactly once: an upload attempted whose result is unknown is
 * looked for on the record (same name, same sha256) before it is made again — once the
 * instance can no longer be carrying it out (servicenow.upload_settle_seconds after it
 * began): looked for while it still ran, it was not there yet, and the upload was made a
 * second time beside it. `settle` runs in the transaction that records the result.
 */
/**
 * A signed copy (or certificate) to deliver. One gone from blobs/ is no blip to retry twelve
 * times: the request fails at once, and a retry downloads it again (complete-request.ts).
 */
function storedFile(deps: DeliveryDeps, request: RequestRow, sha256: string, what: 'signed' | 'certificate' = 'signed'): StoredFile {
  return deps.blobs.file(sha256, (problem, how) => {
    if (what === 'certificate') return `the certificate ${problem}: it is left out (take it from the provider by hand); the signed document is delivered without it`;
    // One that is not the signed copy is never attached as it (audit review L3); the provider still holds the real one.
    return how === 'missing'
      ? `the signed document ${problem}: \`${operatorCommand(`retry ${request.id}`)}\` downloads it again from the provider`
      : `the signed document ${problem}. It was not attached. Move that file out of blobs/ (keep it, if the change needs looking into) and \`${operatorCommand(`retry ${request.id}`)}\`: it downloads the signed document again from the provider; and check the disk`;
  });
}

/** A stored file's problems that leave a certificate out: gone, or not the file it was (BlobStore.file). */
const BLOB_PROBLEMS: ReadonlySet<string> = new Set(['blob_missing', 'blob_altered']);

/**
 * The certificates whose files are there and hold what they held — handed to the mail by
 * path, so checked here. One gone from blobs/ (or changed there) is left out, never holding
 * the signed copy back (diff review 18 M1).
 */
async function usableCertificates(deps: DeliveryDeps, request: RequestRow, documents: DocumentRow[]) {
  const present: Array<ReturnType<typeof certificatesOf>[number] & { path: string; sizeBytes: number }> = [];
  const leftOut: Array<{ fileName: string; code: string; error: string }> = [];
  for (const certificate of certificatesOf(documents)) {
    try {
      const file = storedFile(deps, request, certificate.sha256, 'certificate');
      await deps.blobs.check(file);
      present.push({ ...certificate, path: file.path, sizeBytes: file.size });
    } catch (err) {
      if (!isSignrelayError(err) || !BLOB_PROBLEMS.has(err.code)) throw err;
      leftOut.push({ fileName: certificate.fileName, code: err.code, error: err.message });
    }
  }
  return { present, leftOut };
}

/**
 * Certificates whose files signrelay no longer has as it took them: left out, the operator told
 * (a kind of its own, as a certificate the provider did not give) — once per file, whatever
 * retries follow (diff review 22 L4: a mail retried raised it again; a later upload's failure
 * lost it). `left`: each file's name and what is wrong with it. Call inside the transaction that records it.
 */
function alertCertificatesLeftOut(deps: DeliveryDeps, request: RequestRow, left: Array<{ fileName: string; error: string }>): void {
  const subject = `certificate ${left.map((c) => recordValue(c.fileName)).join(', ')} left out of ${request.recordNumber ?? 'the record'} (request ${request.id})`;
  if (left.length === 0 || alertRaisedSince(deps.db, 'certificate', subject, new Date(0))) return;
  deps.logger.warn('certificate left out: its file in the data dir\'s blobs/ is gone or changed', { requestId: request.id, count: left.length });
  raiseAlert(deps, {
    kind: 'certificate', requestId: request.id, subject,
    text: `The signed document of request ${request.id} goes to ${request.recordNumber ?? 'its record'} without its certificate:\n${left.map((c) => `- ${c.error}`).join('\n')}\n` +
      'Nothing waits for it. Check the disk and the data dir\'s blobs/; download the certificate from the provider by hand if the record needs it.',
  });
}

async function attachOnce(deps: DeliveryDeps, request: RequestRow, record: RecordRef, file: FileForRecord, settle: (sysId: string) => void = () => undefined, what: 'signed' | 'certificate' = 'signed'): Promise<void> {
  // The record is asked first, whatever this database remembers: an upload whose outcome is
  // unknown (its intent the last word) may have landed — and a database restored from a
  // backup remembers no upload made after it (restore review H1: the reconcile delivered
  // every request completed since the backup a second time).
  const existing = (await deps.servicenow.listAttachments(record.table, record.sysId, file.fileName)).find((a) => a.hash === file.sha256);
  if (existing) {
    deps.db.transaction(() => {
      settle(existing.sysId);
      effect(deps, request.id, file.effect, 'done', { attachment: existing.sysId, resolvedBy: 'attachment list' });
    })();
    return;
  }
  // One the instance refused outright (429, 503: recorded as failed) applied nothing; one whose
  // outcome is unknown may still be being stored.
  if (lastEffectPhase(deps.db, request.id, file.effect) === 'intent') {
    waitWhileSettling(deps, request.id, file.effect, `the upload of ${recordValue(file.fileName)} to ${record.table} ${record.sysId}`);
  }
  // Sent from the blob store's file as it is read (and named by its hash): never held whole for
  // it. Found before the intent is recorded: a file that is gone starts no upload.
  const bytes = storedFile(deps, request, file.sha256, what);
  effect(deps, request.id, file.effect, 'intent', { table: record.table, record: record.sysId, fileName: file.fileName });
  let attachment;
  try {
    attachment = await deps.servicenow.uploadAttachment({
      table: record.table, sysId: record.sysId, fileName: file.fileName, bytes, sha256: file.sha256, contentType: file.contentType,
    });
  } catch (err) {
    // Refused by the instance, or stopped by the file's check before its end (blob_altered): nothing was stored.
    if (wasRefused(err) || (isSignrelayError(err) && err.code === 'blob_altered')) effect(deps, request.id, file.effect, 'failed', { code: (err as SignrelayError).code });
    throw err;
  }
  if (attachment.hash !== '' && attachment.hash !== file.sha256) {
    // Stored other than sent (a proxy or a scanner in front of the instance cut or rewrote it):
    // the file on the record is not the signed document, and nothing may say it is — no
    // `delivered`, no "attached by signrelay", no `signed` (audit review H1). Not uploaded again
    // by itself: each try would leave one more such file on the record.
    effect(deps, request.id, file.effect, 'altered', { attachment: attachment.sysId, ours: file.sha256, instance: attachment.hash });
    throw new SignrelayError('permanent', 'servicenow_attachment_altered',
      `ServiceNow stored ${recordValue(file.fileName)} on ${record.table} ${record.sysId} with SHA-256 ${attachment.hash}, but the file signrelay sent has ${file.sha256}: ` +
      `something between signrelay and the instance (a proxy, a scanner) or the instance itself changed it, so the file on the record is not the ${what === 'certificate' ? 'certificate' : 'signed document'}. ` +
      // A certificate never holds the delivery back: the request is delivered, no retry comes — its fix is by hand (re-read A 6).
      (what === 'certificate'
        ? `Delete that attachment (${attachment.sysId}) from the record, find what changed it, and attach the certificate from the provider by hand if the record needs it`
        : `Delete that attachment (${attachment.sysId}) from the record, find what changed it, then \`${operatorCommand(`retry ${request.id}`)}\``));
  }
  deps.db.transaction(() => {
    settle(attachment.sysId);
    effect(deps, request.id, file.effect, 'done', { attachment: attachment.sysId, hash: attachment.hash });
  })();
  deps.logger.info('file attached to the record', { requestId: request.id, table: record.table, record: record.sysId, fileName: file.fileName });
}

/** The day signrelay's copy of a delivered request's files is deleted (schedule.retention.days after it ends): a note on the record says when (audit review L2). */
function keptUntil(deps: Pick<DeliveryDeps, 'config' | 'now'>): string {
  return new Date(deps.now().getTime() + deps.config.schedule.retention.days * DAY_MS).toISOString().slice(0, 10);
}

async function deliverByRest(deps: DeliveryDeps, request: RequestRow, documents: DocumentRow[]): Promise<void> {
  const record = await resolveRecord(deps, request);
  const names = signedFileNames(documents);
  for (const [i, doc] of documents.entries()) {
    if (doc.attachmentSysId) continue;
    await attachOnce(deps, request, record, { effect: `attach-${doc.seq}`, fileName: names[i]!, sha256: doc.signedSha256!, contentType: 'application/pdf' },
      (sysId) => setDocumentAttachment(deps.db, request.id, doc.seq, sysId));
  }
  // Beside each signed copy, its certificate when one was taken (servicenow.attach_certificate).
  // The evidence never holds the signed copy back: an upload the instance refuses for good
  // (a file type it does not take) is recorded, told to the operator, and not tried again.
  const refusals: SignrelayError[] = [];
  for (const certificate of certificatesOf(documents)) {
    const name = `certificate-${certificate.seq}`;
    const last = lastEffectPhase(deps.db, request.id, name);
    if (last === 'done' || last === 'refused') continue;
    try {
      await attachOnce(deps, request, record, { ...certificate, effect: name }, undefined, 'certificate');
    } catch (err) {
      if (!isSignrelayError(err) || err.kind !== 'permanent' || isOutcomeUnknown(err)) throw err;
      // Its own file gone or changed: signrelay's to tell, with the record of it (a later failure must not lose it) — not the instance's refusal.
      deps.db.transaction(() => {
        effect(deps, request.id, name, 'refused', { code: err.code, error: err.message });
        if (BLOB_PROBLEMS.has(err.code)) alertCertificatesLeftOut(deps, request, [{ fileName: certificate.fileName, error: err.message }]);
      })();
      if (!BLOB_PROBLEMS.has(err.code)) refusals.push(err);
    }
  }
  if (deps.config.servicenow.work_note) {
    const refused = await addNoteOnce(deps, request, record, { effect: 'work-note', marker: noteMarker(request), text: signedNoteOf(deps, request, documents) });
    if (refused) refusals.push(refused);
  }
  alertRefusals(deps, request, refusals);
}

/**
 * The mail did not go out: the SMTP server refused it (an answer), was never reached, or it
 * failed before any server was asked. Only a connection that ended once open (`smtp_dropped`,
 * classify-smtp-error.ts: its outcome unknown) or a failure of unknown origin leaves it open.
 */
function nothingSent(err: unknown): boolean {
  return isSignrelayError(err) && !isOutcomeUnknown(err);
}

/** Whether the operator retried the request (`signrelay retry`) after its inbound mail's outcome was found unknown. */
function retriedSinceUnknown(deps: DeliveryDeps, requestId: string): boolean {
  const events = listEvents(deps.db, requestId);
  const unknown = events.findLastIndex((e) => e.kind === 'effect' && e.detail?.effect === 'inbound-email' && e.detail.phase === 'skipped');
  return unknown >= 0 && events.slice(unknown + 1).some((e) => e.kind === 'transition' && e.fromState === 'failed');
}

/**
 * The signed PDFs mailed to the instance, at most once: a mail whose outcome was lost (the
 * process died, the connection dropped after DATA) may have reached the instance, which
 * would attach it again — it is not sent again by itself. The delivery fails instead (the
 * request is failed, the operator alerted with what to check), and an operator's
 * `signrelay retry` — the record checked, the document not on it — mails it again.
 */
async function deliverByEmail(deps: DeliveryDeps, request: RequestRow, documents: DocumentRow[]): Promise<void> {
  const last = lastEffectPhase(deps.db, request.id, 'inbound-email');
  if (last === 'done') return;
  if (last === 'intent') effect(deps, request.id, 'inbound-email', 'skipped', { reason: 'outcome of an earlier send unknown' });
  if (last === 'intent' || (last === 'skipped' && !retriedSinceUnknown(deps, request.id))) {
    const files = [...signedFileNames(documents), ...certificatesOf(documents).map((c) => c.fileName)].join(', ');
    const record = request.recordNumber ?? 'the record';
    throw new SignrelayError('permanent', 'delivery_outcome_unknown',
      `the signed document was mailed to ${deps.config.servicenow.inbound_address}, but whether the mail went out is unknown ` +
      `(the process stopped or the connection dropped). It is not sent twice by itself: check that ${record} has it — ` +
      `attach ${files} by hand if not, or run "${operatorCommand(`retry ${request.id}`)}" to mail it again.`);
  }
  const names = signedFileNames(documents);
  const signedFiles = documents.map((d) => storedFile(deps, request, d.signedSha256!));
  // Handed to the mail by path, so checked first: a changed file is never mailed as the signed copy.
  for (const file of signedFiles) await deps.blobs.check(file);
  const signed = signedFiles.map((file, i) => ({ fileName: names[i]!, path: file.path, sizeBytes: file.size }));
  // The certificates ride in the same mail (one mail, one outcome, attached together) — those
  // that fit beside the signed copies: a certificate never costs the record its signed PDF.
  const { present, leftOut: unusable } = await usableCertificates(deps, request, documents);
  const { fitting: certificates, leftOut } = certificatesThatFit(
    present,
    deps.config.servicenow.max_email_attachment_bytes - signed.reduce((sum, d) => sum + d.sizeBytes, 0),
    deps.config.servicenow.max_email_attachment_count - signed.length,
  );
  const leftOutNote = (leftOut.length === 0 ? '' : `\n${leftOut.map((c) => recordValue(c.fileName)).join(', ')} did not fit in the mail beside the signed document (servicenow.max_email_attachment_bytes and max_email_attachment_count): signrelay keeps it until ${keptUntil(deps)} (schedule.retention.days), the provider as long as it keeps its documents.`) +
    unusable.map((c) => `\n${recordValue(c.fileName)}: not attached, ${c.code === 'blob_missing' ? 'its file is gone from signrelay\'s store' : 'its file in signrelay\'s store is damaged'}; the provider keeps it.`).join('');
  if (leftOut.length > 0) deps.logger.warn('certificate left out of the mail to the instance: too large', { requestId: request.id, leftOut: leftOut.map((c) => c.fileName) });
  const message: SendMailOptions = composeInboundEmail({
    requestId: request.id, recordNumber: request.recordNumber, watermark: request.watermark,
    note: `${signedNoteOf(deps, request, documents)}${leftOutNote}`, from: deps.config.smtp.from, servicenow: deps.config.servicenow,
    documents: [...signed, ...certificates], messageId: newMessageId('delivery', deps.config.smtp.from),
  });
  // Its Message-ID recorded with the intent: a bounce naming it fails this attempt, not a later one (intake/process-bounce.ts).
  deps.db.transaction(() => {
    recordSentMail(deps.db, { messageId: message.messageId!, purpose: 'delivery', requestId: request.id, recipients: recipientsOf(message) }, deps.now());
    effect(deps, request.id, 'inbound-email', 'intent', {
      to: message.to, messageId: message.messageId,
      ...(certificates.length > 0 ? { certificates: certificates.map((c) => c.fileName) } : {}),
      ...(leftOut.length > 0 || unusable.length > 0 ? { certificatesLeftOut: [...leftOut, ...unusable].map((c) => c.fileName) } : {}),
    });
    alertCertificatesLeftOut(deps, request, unusable);
  })();
  let sent;
  try {
    sent = await deps.smtp.send(message);
  } catch (err) {
    if (nothingSent(err)) effect(deps, request.id, 'inbound-email', 'failed', { error: describeError(err) });
    throw err;
  }
  effect(deps, request.id, 'inbound-email', 'done', { messageId: sent.messageId });
  deps.logger.info('signed document mailed to the instance', { requestId: request.id, to: String(message.to) });
}

/** The certificates that fit, in order, in `room` bytes of a mail to the instance; the rest left out. */
/** The certificates that fit in `room` bytes and `places` attachments, in order; the rest left out. */
function certificatesThatFit<T extends { sizeBytes: number }>(certificates: T[], room: number, places: number): { fitting: T[]; leftOut: T[] } {
  const fitting: T[] = [];
  const leftOut: T[] = [];
  let left = room;
  for (const certificate of certificates) {
    if (certificate.sizeBytes <= left && fitting.length < places) {
      fitting.push(certificate);
      left -= certificate.sizeBytes;
    } else {
      leftOut.push(certificate);
    }
  }
  return { fitting, leftOut };
}
