// Requests and their documents in SQLite. Every state change goes through `transition`,
// which checks the state machine and writes the audit event in the same transaction.
import { randomBytes } from 'node:crypto';
import type { Signer } from '../signer.ts';

/** Where a request's signers came from: Signer lines, the route's defaults, the documents' own tags. */
export type SignersFrom = 'mail' | 'route' | 'pdf' | 'none';
/** Where a request's due date came from: a Due: line, or the route's `due_days`. */
export type DueFrom = 'mail' | 'route';
import { mailboxKey } from '../ascii-address.ts';
import { SignrelayError } from '../errors.ts';
import type { Db } from './open-database.ts';
import { AT_WORK, canTransition, REQUEST_STATES, type RequestState } from './request-states.ts';
import { addEvent } from './events.ts';

export interface RequestRow {
  id: string;
  token: string;
  state: RequestState;
  route: string;
  provider: string;
  requester: string;
  subject: string;
  messageId: string | null;
  recordNumber: string | null;
  recordTable: string | null;
  recordSysId: string | null;
  watermark: string | null;
  /** The provider's order (Signicat), kept when it was sent; null otherwise. */
  providerOrderId: string | null;
  /** The order's tasks, one per signer (Signicat); [] otherwise. */
  providerTasks: Array<{ id: string; signer: string }>;
  signers: Signer[];
  /** Where the signers came from; 'pdf': the documents' own tags (the provider reads them there). */
  signersFrom: SignersFrom;
  dueDate: string;
  /** Whether the requester gave the due date or the route's default did ('mail' for rows older than migration 0022). */
  dueFrom: DueFrom;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DocumentRow {
  requestId: string;
  seq: number;
  fileName: string;
  uploadName: string | null;
  originalSha256: string;
  stampedSha256: string | null;
  providerRef: string | null;
  /** What the provider's send kept for this document (provider.ts KeptDocument). */
  providerKept: Record<string, unknown> | null;
  signedSha256: string | null;
  attachmentSysId: string | null;
  /** The provider's evidence of the signing (servicenow.attach_certificate), once taken. */
  certificate: StoredCertificate | null;
}

/** A certificate kept as a blob, or why the provider offered none. */
export type StoredCertificate = { sha256: string; contentType: string; fileSuffix: string } | { unavailable: string };

export interface NewRequest {
  token: string;
  state: 'received' | 'rejected';
  route: string;
  provider: string;
  requester: string;
  subject: string;
  messageId: string | null;
  record: { number?: string; table?: string; sysId?: string; watermark?: string } | null;
  signers: Signer[];
  signersFrom?: SignersFrom;
  dueDate: string;
  dueFrom?: DueFrom;
  reason?: string;
  documents: Array<{ fileName: string; originalSha256: string }>;
}

export function newRequestId(): string {
  return `r_${randomBytes(6).toString('hex')}`;
}

export function insertRequest(db: Db, input: NewRequest, now: Date): string {
  const id = newRequestId();
  const at = now.toISOString();
  db.prepare(`INSERT INTO requests (id, token, state, route, provider, requester, subject, message_id,
      record_number, record_table, record_sys_id, watermark, signers_json, signers_from, due_date, due_from, reason, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
    id, input.token, input.state, input.route, input.provider, input.requester, input.subject, input.messageId,
    input.record?.number ?? null, input.record?.table ?? null, input.record?.sysId ?? null, input.record?.watermark ?? null,
    JSON.stringify(input.signers), input.signersFrom ?? 'none', input.dueDate, input.dueFrom ?? 'mail', input.reason ?? null, at, at);
  const insertDoc = db.prepare('INSERT INTO documents (request_id, seq, file_name, original_sha256) VALUES (?, ?, ?, ?)');
  input.documents.forEach((doc, i) => insertDoc.run(id, i + 1, doc.fileName, doc.originalSha256));
  addEvent(db, { requestId: id, kind: 'transition', toState: input.state, detail: input.reason ? { reason: input.reason } : undefined }, now);
  return id;
}

/** Moves a request to `to`; throws if the state machine does not allow it. */
export function transition(db: Db, id: string, to: RequestState, now: Date, detail?: { reason?: string; [k: string]: unknown }): void {
  // One transaction (a savepoint inside a caller's): the state and its audit event together.
  db.transaction(() => transitionNow(db, id, to, now, detail))();
}

function transitionNow(db: Db, id: string, to: RequestState, now: Date, detail?: { reason?: string; [k: string]: unknown }): void {
  const row = db.prepare('SELECT state FROM requests WHERE id = ?').get(id) as { state: RequestState } | undefined;
  if (!row) throw new SignrelayError('permanent', 'request_unknown', `request ${id} does not exist`);
  if (!canTransition(row.state, to)) {
    throw new SignrelayError('permanent', 'bad_transition', `request ${id} cannot go from ${row.state} to ${to}`);
  }
  // The reason is the new state's (or none): a failure's reason must not stand beside the
  // `delivered` that a retry led to.
  db.prepare('UPDATE requests SET state = ?, reason = ?, updated_at = ? WHERE id = ?')
    .run(to, detail?.reason ?? null, now.toISOString(), id);
  addEvent(db, { requestId: id, kind: 'transition', fromState: row.state, toState: to, detail }, now);
}

export function getRequest(db: Db, id: string): RequestRow | undefined {
  const row = db.prepare('SELECT * FROM requests WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return row ? toRequestRow(row) : undefined;
}

export function getRequestByToken(db: Db, token: string): RequestRow | undefined {
  const row = db.prepare('SELECT * FROM requests WHERE token = ?').get(token) as Record<string, unknown> | undefined;
  return row ? toRequestRow(row) : undefined;
}

/** `held`: only requests held after a restore (restore-holds.ts). */
export function listRequests(db: Db, filter: { state?: RequestState; limit?: number; held?: boolean } = {}): RequestRow[] {
  const where = [
    ...(filter.state ? ['state = @state'] : []),
    ...(filter.held ? ['id IN (SELECT request_id FROM restore_holds)'] : []),
  ];
  const rows = db.prepare(`SELECT * FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT @limit`)
    .all({ limit: filter.limit ?? 1000, ...(filter.state ? { state: filter.state } : {}) });
  return (rows as Array<Record<string, unknown>>).map(toRequestRow);
}

export function getDocuments(db: Db, requestId: string): DocumentRow[] {
  const rows = db.prepare('SELECT * FROM documents WHERE request_id = ? ORDER BY seq').all(requestId) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    requestId: r.request_id as string,
    seq: r.seq as number,
    fileName: r.file_name as string,
    uploadName: (r.upload_name as string | null) ?? null,
    originalSha256: r.original_sha256 as string,
    stampedSha256: (r.stamped_sha256 as string | null) ?? null,
    providerRef: (r.provider_ref as string | null) ?? null,
    providerKept: r.provider_kept ? JSON.parse(r.provider_kept as string) as Record<string, unknown> : null,
    signedSha256: (r.signed_sha256 as string | null) ?? null,
    attachmentSysId: (r.attachment_sys_id as string | null) ?? null,
    certificate: r.certificate ? JSON.parse(r.certificate as string) as StoredCertificate : null,
  }));
}

export function setDocumentStamped(db: Db, requestId: string, seq: number, stampedSha256: string, uploadName: string): void {
  db.prepare('UPDATE documents SET stamped_sha256 = ?, upload_name = ? WHERE request_id = ? AND seq = ?')
    .run(stampedSha256, uploadName, requestId, seq);
}

export function setDocumentReference(db: Db, requestId: string, seq: number, providerRef: string): void {
  db.prepare('UPDATE documents SET provider_ref = ? WHERE request_id = ? AND seq = ?').run(providerRef, requestId, seq);
}

export function setDocumentSigned(db: Db, requestId: string, seq: number, signedSha256: string): void {
  db.prepare('UPDATE documents SET signed_sha256 = ? WHERE request_id = ? AND seq = ?').run(signedSha256, requestId, seq);
}

export function setDocumentCertificate(db: Db, requestId: string, seq: number, certificate: StoredCertificate): void {
  db.prepare('UPDATE documents SET certificate = ? WHERE request_id = ? AND seq = ?').run(JSON.stringify(certificate), requestId, seq);
}

export function setDocumentAttachment(db: Db, requestId: string, seq: number, attachmentSysId: string): void {
  db.prepare('UPDATE documents SET attachment_sys_id = ? WHERE request_id = ? AND seq = ?').run(attachmentSysId, requestId, seq);
}

export function setRecordResolved(db: Db, requestId: string, record: { table: string; sysId: string }, now: Date): void {
  db.prepare('UPDATE requests SET record_table = ?, record_sys_id = ?, updated_at = ? WHERE id = ?').run(record.table, record.sysId, now.toISOString(), requestId);
}

/** The provider moved the request's due date (a reply's `extend`): reminders and notices read the new one. */
export function setDueDate(db: Db, requestId: string, dueDate: string, now: Date): void {
  db.prepare('UPDATE requests SET due_date = ?, updated_at = ? WHERE id = ?').run(dueDate, now.toISOString(), requestId);
}

/** A rejected request's route and record, once it is known that the record should hear of the refusal (refusal-on-record.ts). */
export function setRejectedRecord(db: Db, requestId: string, route: string, record: { number?: string; table?: string; sysId?: string; watermark?: string }, now: Date): void {
  db.prepare("UPDATE requests SET route = ?, record_number = ?, record_table = ?, record_sys_id = ?, watermark = ?, updated_at = ? WHERE id = ? AND state = 'rejected'")
    .run(route, record.number ?? null, record.table ?? null, record.sysId ?? null, record.watermark ?? null, now.toISOString(), requestId);
}

/** What a send created (provider.ts SendResult): kept with the request and its documents. Call inside the transaction that makes it `sent`. */
export function setSendResult(db: Db, requestId: string, result: { orderId: string | null; tasks: Array<{ id: string; signer: string }>; documents: Array<Record<string, unknown> | null> }): void {
  db.prepare('UPDATE requests SET provider_order_id = ?, provider_tasks = ? WHERE id = ?')
    .run(result.orderId, result.tasks.length > 0 ? JSON.stringify(result.tasks) : null, requestId);
  const keep = db.prepare('UPDATE documents SET provider_kept = ? WHERE request_id = ? AND seq = ?');
  result.documents.forEach((kept, i) => keep.run(kept ? JSON.stringify(kept) : null, requestId, i + 1));
}

/** A send whose answer was lost, found done by asking the provider: its result kept and the send recorded done. */
export function recordFoundSend(db: Db, requestId: string, result: Parameters<typeof setSendResult>[2], now: Date): void {
  setSendResult(db, requestId, result);
  addEvent(db, { requestId, kind: 'effect', detail: { effect: 'send', phase: 'done', resolvedBy: 'status', orderId: result.orderId ?? undefined } }, now);
}

/** A sent document as its provider needs it (provider.ts SentDocument). */
export function sentDocumentOf(request: Pick<RequestRow, 'providerOrderId'>, doc: Pick<DocumentRow, 'providerRef' | 'providerKept'>): { reference: string; kept: Record<string, unknown> | null; orderId: string | null } {
  return { reference: doc.providerRef ?? '', kept: doc.providerKept, orderId: request.providerOrderId };
}

/** States a request reaches only once it went out for signing. */
const WENT_OUT: readonly RequestState[] = ['sent', 'completed', 'delivered', 'declined', 'expired'];

/**
 * The mailboxes (mailboxKey) of requesters a request of whom went out for signing since
 * `since`: the senders the request watcher takes first (mail/pass-order.ts).
 */
export function knownRequesters(db: Db, since: Date): Set<string> {
  const rows = db.prepare(`SELECT DISTINCT lower(requester) AS requester FROM requests
    WHERE state IN (${WENT_OUT.map(() => '?').join(', ')}) AND created_at >= ?`).all(...WENT_OUT, since.toISOString()) as Array<{ requester: string }>;
  return new Set(rows.map((r) => mailboxKey(r.requester)));
}

/**
 * How many requests signrelay took from `requester`'s mailbox (mailboxKey: its `+` subaddresses
 * and spellings with it) since `since` and did not give up: not `rejected` (a refused mail was
 * never taken), not `cancelled` or `failed` — so an operator who cancels forged requests gives
 * the sender's day back (diff review 19 M1). For limits.max_requests_per_sender_per_day.
 */
export function requestsTakenFrom(db: Db, requester: string, since: Date): number {
  const states = REQUEST_STATES.filter((state) => state !== 'rejected' && state !== 'cancelled' && state !== 'failed');
  const rows = db.prepare(`SELECT requester FROM requests WHERE state IN (${states.map(() => '?').join(', ')}) AND created_at >= ?`)
    .pluck().all(...states, since.toISOString()) as string[];
  const key = mailboxKey(requester);
  return rows.filter((r) => mailboxKey(r) === key).length;
}

/**
 * The newest request still at work (not finished or refused; failed only once its signers
 * were, or may have been, invited) for the same record — by number or sys_id — with one of
 * these original PDFs, if any: the same document already out for signing for that record.
 */
export function openRequestWithDocument(db: Db, record: { number?: string | null; sysId?: string | null }, originals: readonly string[]): RequestRow | undefined {
  if ((!record.number && !record.sysId) || originals.length === 0) return undefined;
  // A failed request counts when its signers were invited or may have been (its send's
  // answer lost): a second request of the PDF would invite them again.
  const row = db.prepare(`SELECT r.* FROM requests r
    WHERE (r.state IN (${AT_WORK.map(() => '?').join(', ')}) OR (r.state = 'failed' AND (SELECT json_extract(e.detail, '$.phase') FROM events e
        WHERE e.request_id = r.id AND e.kind = 'effect' AND json_extract(e.detail, '$.effect') = 'send' ORDER BY e.id DESC LIMIT 1) IN ('intent', 'done')))
      AND ((? IS NOT NULL AND r.record_number = ? COLLATE NOCASE) OR (? IS NOT NULL AND r.record_sys_id = ?))
      AND EXISTS (SELECT 1 FROM documents d WHERE d.request_id = r.id AND d.original_sha256 IN (${originals.map(() => '?').join(', ')}))
    ORDER BY r.created_at DESC LIMIT 1`).get(...AT_WORK, record.number ?? null, record.number ?? null, record.sysId ?? null, record.sysId ?? null, ...originals) as Record<string, unknown> | undefined;
  return row ? toRequestRow(row) : undefined;
}

/** The request one of whose documents has this provider reference, or whose provider order it is. */
export function getRequestByDocumentReference(db: Db, providerRef: string): RequestRow | undefined {
  const row = (db.prepare('SELECT r.* FROM requests r JOIN documents d ON d.request_id = r.id WHERE d.provider_ref = ? LIMIT 1').get(providerRef)
    ?? db.prepare('SELECT * FROM requests WHERE provider_order_id = ? LIMIT 1').get(providerRef)) as Record<string, unknown> | undefined;
  return row ? toRequestRow(row) : undefined;
}

function toRequestRow(r: Record<string, unknown>): RequestRow {
  return {
    id: r.id as string,
    token: r.token as string,
    state: r.state as RequestState,
    route: r.route as string,
    provider: r.provider as string,
    requester: r.requester as string,
    subject: r.subject as string,
    messageId: (r.message_id as string | null) ?? null,
    recordNumber: (r.record_number as string | null) ?? null,
    recordTable: (r.record_table as string | null) ?? null,
    recordSysId: (r.record_sys_id as string | null) ?? null,
    watermark: (r.watermark as string | null) ?? null,
    providerOrderId: (r.provider_order_id as string | null) ?? null,
    providerTasks: r.provider_tasks ? JSON.parse(r.provider_tasks as string) as Array<{ id: string; signer: string }> : [],
    signers: JSON.parse(r.signers_json as string) as Signer[],
    signersFrom: r.signers_from as SignersFrom,
    dueDate: r.due_date as string,
    dueFrom: r.due_from as DueFrom,
    reason: (r.reason as string | null) ?? null,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}
