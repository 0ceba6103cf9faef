// Puts a completed request's signed documents on its ServiceNow record: through the REST
// Attachment API (default) or as a mail to the instance's inbound address. Every upload,
// note and mail is an effect with an intent recorded before and a result after; after a
// crash an upload whose result is unknown is looked for on the record (same name, same
// sha256), and a work note in the record's journal (it names the request), before it is
// done again. A note the instance refused (an HTTP error answer: nothing was applied) is
// recorded as failed and simply tried again.
import { statSync } from 'node:fs';
import type { SendMailOptions } from 'nodemailer';
import { raiseAlert } from '../alerts/raise-alert.ts';
import type { Config } from '../config/schema.ts';
import { describeError, isSignrelayError, SignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MailSender } from '../jobs/send-mail.ts';
import { composeInboundEmail } from '../servicenow/compose-inbound-email.ts';
import { recordValue } from '../servicenow/record-text.ts';
import type { BlobStore } from '../store/blobs.ts';
import { addEvent, hasEffect, listEvents } from '../store/events.ts';
import type { Db } from '../store/open-database.ts';
import { getDocuments, setDocumentAttachment, setRecordResolved, type DocumentRow, type RequestRow } from '../store/requests.ts';
import { noteMarker, signedNote } from './record-notes.ts';

/** As long as a stored file name may be (intake's safe-file-name). */
const MAX_FILE_NAME_CHARS = 120;

/** The slice of the ServiceNow client delivery needs (the real client satisfies it). */
export interface ServiceNowApi {
  findRecord(table: string, number: string): Promise<{ table: string; sysId: string; number: string }>;
  listAttachments(table: string, sysId: string, fileName?: string): Promise<Array<{ sysId: string; fileName: string; hash: string }>>;
  uploadAttachment(input: { table: string; sysId: string; fileName: string; bytes: Uint8Array; contentType?: string }): Promise<{ sysId: string; hash: string }>;
  addWorkNote(table: string, sysId: string, text: string): Promise<void>;
  findJournalEntries(table: string, sysId: string, field: 'work_notes', containing: string): Promise<Array<{ sysId: string; value: string }>>;
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

/** The signed copy's name on the record: the request's file name (outside text, made inert) + "-signed". */
export function signedFileName(originalName: string): string {
  return `${recordValue(originalName.replace(/\.pdf$/i, ''), MAX_FILE_NAME_CHARS)}-signed.pdf`;
}

export function deliveryModeOf(config: Config, request: RequestRow): 'rest' | 'email' {
  return config.routes[request.route]?.delivery ?? config.servicenow.delivery;
}

/** Codes of an HTTP error answer: the instance refused the call, so nothing was applied. Anything
 *  else (no answer, a timeout, a 500, a garbled 2xx) leaves the outcome unknown. */
const REFUSED = new Set([
  'servicenow_rate_limited', 'servicenow_unavailable', 'servicenow_auth', 'servicenow_forbidden',
  'servicenow_not_found', 'servicenow_bad_request', 'servicenow_rejected',
]);
const NOTE = 'work-note';

export async function deliverToServiceNow(deps: DeliveryDeps, request: RequestRow): Promise<void> {
  const documents = getDocuments(deps.db, request.id);
  if (documents.some((d) => !d.signedSha256)) {
    throw new SignrelayError('permanent', 'not_signed', `request ${request.id} has no signed copy of every document`);
  }
  if (deliveryModeOf(deps.config, request) === 'email') return deliverByEmail(deps, request, documents);
  return deliverByRest(deps, request, documents);
}

type Phase = 'intent' | 'done' | 'failed' | 'skipped';
const effect = (deps: DeliveryDeps, requestId: string, name: string, phase: Phase, detail: Record<string, unknown> = {}) =>
  addEvent(deps.db, { requestId, kind: 'effect', detail: { effect: name, phase, ...detail } }, deps.now());

async function resolveRecord(deps: DeliveryDeps, request: RequestRow): Promise<{ table: string; sysId: string }> {
  if (request.recordSysId && request.recordTable) return { table: request.recordTable, sysId: request.recordSysId };
  const table = request.recordTable ?? deps.config.routes[request.route]?.table;
  if (!request.recordNumber || !table) {
    throw new SignrelayError('permanent', 'no_record', `request ${request.id} names no ServiceNow record to attach the signed document to`);
  }
  const found = await deps.servicenow.findRecord(table, request.recordNumber);
  setRecordResolved(deps.db, request.id, found, deps.now());
  return found;
}

async function deliverByRest(deps: DeliveryDeps, request: RequestRow, documents: DocumentRow[]): Promise<void> {
  const record = await resolveRecord(deps, request);
  for (const doc of documents) {
    if (doc.attachmentSysId) continue;
    const name = `attach-${doc.seq}`;
    const fileName = signedFileName(doc.fileName);
    if (hasEffect(deps.db, request.id, name, 'intent')) {
      // An upload was attempted and its result is unknown: is it on the record already?
      const existing = (await deps.servicenow.listAttachments(record.table, record.sysId, fileName)).find((a) => a.hash === doc.signedSha256);
      if (existing) {
        deps.db.transaction(() => {
          setDocumentAttachment(deps.db, request.id, doc.seq, existing.sysId);
          effect(deps, request.id, name, 'done', { attachment: existing.sysId, resolvedBy: 'attachment list' });
        })();
        continue;
      }
    }
    effect(deps, request.id, name, 'intent', { table: record.table, record: record.sysId, fileName });
    const attachment = await deps.servicenow.uploadAttachment({ table: record.table, sysId: record.sysId, fileName, bytes: deps.blobs.get(doc.signedSha256!), contentType: 'application/pdf' });
    deps.db.transaction(() => {
      setDocumentAttachment(deps.db, request.id, doc.seq, attachment.sysId);
      effect(deps, request.id, name, 'done', { attachment: attachment.sysId, hash: attachment.hash });
    })();
    deps.logger.info('signed document attached', { requestId: request.id, table: record.table, record: record.sysId, fileName });
  }
  if (deps.config.servicenow.work_note) await addNoteOnce(deps, request, record, signedNote(request, documents));
}

/** The phases recorded for one of a request's effects, in order. */
function phasesOf(deps: DeliveryDeps, requestId: string, name: string): Phase[] {
  return listEvents(deps.db, requestId)
    .filter((e) => e.kind === 'effect' && e.detail?.effect === name)
    .map((e) => e.detail!.phase as Phase);
}

/** The work note, exactly once: an unknown outcome is settled from the journal before another PATCH. */
async function addNoteOnce(deps: DeliveryDeps, request: RequestRow, record: { table: string; sysId: string }, text: string): Promise<void> {
  const phases = phasesOf(deps, request.id, NOTE);
  if (phases.includes('done') || phases.includes('skipped')) return;
  if (phases.at(-1) === 'intent' && (await settledFromJournal(deps, request, record))) return;
  effect(deps, request.id, NOTE, 'intent');
  try {
    await deps.servicenow.addWorkNote(record.table, record.sysId, text);
  } catch (err) {
    if (isSignrelayError(err) && REFUSED.has(err.code)) effect(deps, request.id, NOTE, 'failed', { code: err.code });
    throw err;
  }
  effect(deps, request.id, NOTE, 'done');
}

/** A PATCH whose outcome is unknown (the process died, the answer was lost): is the note in the journal? */
async function settledFromJournal(deps: DeliveryDeps, request: RequestRow, record: { table: string; sysId: string }): Promise<boolean> {
  let found: Array<{ sysId: string }>;
  try {
    found = await deps.servicenow.findJournalEntries(record.table, record.sysId, 'work_notes', noteMarker(request));
  } catch (err) {
    if (!isSignrelayError(err) || err.kind !== 'permanent') throw err; // retried with the job
    // The journal cannot be read (no read on sys_journal_field): at most once — a missing
    // note is better than a doubled one, and the attachment (checked above) is what matters.
    deps.logger.warn('a work note may already be on the record and its journal cannot be read: not adding it again', {
      requestId: request.id, record: record.sysId, error: describeError(err),
    });
    effect(deps, request.id, NOTE, 'skipped', { reason: describeError(err) });
    return true;
  }
  if (found.length === 0) return false;
  effect(deps, request.id, NOTE, 'done', { entry: found[0]!.sysId, resolvedBy: 'journal' });
  return true;
}

/** The SMTP server refused, or was never reached: the mail did not go out, trying again is safe. */
function nothingSent(err: unknown): boolean {
  if (!isSignrelayError(err)) return false;
  if (err.code !== 'smtp_unavailable') return true;
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return code === 'ECONNECTION' || code === 'EDNS';
}

/**
 * The signed PDFs mailed to the instance, at most once: a mail whose outcome was lost (the
 * process died, the connection dropped after DATA) may have reached the instance, which
 * would attach it again — it is not sent twice; the operator is asked to look instead.
 */
async function deliverByEmail(deps: DeliveryDeps, request: RequestRow, documents: DocumentRow[]): Promise<void> {
  const last = phasesOf(deps, request.id, 'inbound-email').at(-1);
  if (last === 'done' || last === 'skipped') return;
  if (last === 'intent') {
    effect(deps, request.id, 'inbound-email', 'skipped', { reason: 'outcome of an earlier send unknown' });
    raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now: deps.now }, {
      kind: 'undeliverable', requestId: request.id, subject: `check ${request.recordNumber ?? 'the record'} for the signed document of request ${request.id}`,
      text: `The signed document of request ${request.id} was mailed to ${deps.config.servicenow.inbound_address}, but whether the mail went out is unknown (the process stopped or the connection dropped). It is not sent twice: check that ${request.recordNumber ?? 'the record'} has it, and attach ${documents.map((d) => signedFileName(d.fileName)).join(', ')} by hand if not.`,
    });
    return;
  }
  const message: SendMailOptions = composeInboundEmail({
    requestId: request.id, recordNumber: request.recordNumber, watermark: request.watermark, requestMessageId: request.messageId,
    note: signedNote(request, documents), from: deps.config.smtp.from, servicenow: deps.config.servicenow,
    documents: documents.map((d) => ({ fileName: signedFileName(d.fileName), path: deps.blobs.pathOf(d.signedSha256!), sizeBytes: statSync(deps.blobs.pathOf(d.signedSha256!)).size })),
  });
  effect(deps, request.id, 'inbound-email', 'intent', { to: message.to });
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
