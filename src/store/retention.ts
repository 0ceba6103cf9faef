// What retention may purge: the blobs of finished requests (delivered, declined, expired,
// rejected, cancelled) whose last transition is older than the cutoff, not purged yet, with no job
// still pending. Blobs are content-addressed, so one file can belong to several requests
// (the same PDF sent twice): a blob another unpurged request still names is kept.
import { addEvent, type EventRow } from './events.ts';
import type { Db } from './open-database.ts';
import { isFinal, REQUEST_STATES } from './request-states.ts';

/** The final states of the request state machine (failed is not: it can be retried). */
const FINISHED_STATES = REQUEST_STATES.filter(isFinal);

const PURGED = "json_extract(e.detail, '$.purged') = 1";
const SHA256_RE = /\b[0-9a-f]{64}\b/g;

export function listPurgeableRequests(db: Db, cutoff: Date): string[] {
  const rows = db.prepare(`SELECT r.id FROM requests r
    WHERE r.state IN (${FINISHED_STATES.map(() => '?').join(', ')})
      AND EXISTS (SELECT 1 FROM documents d WHERE d.request_id = r.id)
      AND (SELECT max(e.at) FROM events e WHERE e.request_id = r.id AND e.kind = 'transition') <= ?
      AND NOT EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id AND e.kind = 'note' AND ${PURGED})
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = r.id AND j.state = 'pending')
    ORDER BY r.created_at, r.id`).all(...FINISHED_STATES, cutoff.toISOString()) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}

/** Every blob the request names: its documents' PDFs and certificates, and any kept in its jobs (mail attachments). */
export function blobsOfRequest(db: Db, requestId: string): string[] {
  const hashes = new Set<string>();
  const docs = db.prepare("SELECT original_sha256, stamped_sha256, signed_sha256, json_extract(certificate, '$.sha256') AS certificate_sha256 FROM documents WHERE request_id = ?").all(requestId) as Array<Record<string, string | null>>;
  for (const doc of docs) for (const hash of Object.values(doc)) if (hash) hashes.add(hash);
  const jobs = db.prepare('SELECT payload FROM jobs WHERE request_id = ?').all(requestId) as Array<{ payload: string }>;
  for (const job of jobs) for (const match of job.payload.matchAll(SHA256_RE)) hashes.add(match[0]);
  return [...hashes];
}

/** Whether a request other than `requestId`, not purged itself, still names the blob. */
export function blobNamedElsewhere(db: Db, hash: string, requestId: string): boolean {
  const row = db.prepare(`SELECT 1 FROM requests r
    WHERE r.id != ?
      AND NOT EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id AND e.kind = 'note' AND ${PURGED})
      AND (EXISTS (SELECT 1 FROM documents d WHERE d.request_id = r.id AND ? IN (d.original_sha256, d.stamped_sha256, d.signed_sha256, json_extract(d.certificate, '$.sha256')))
        OR EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = r.id AND instr(j.payload, ?) > 0))
    LIMIT 1`).get(requestId, hash, hash);
  return row !== undefined;
}

/**
 * Every blob the database still needs: the files of requests not purged (documents and
 * job payloads alike) and any a job of no request, or a pending one, names. A file in
 * `blobs/` outside this set is an orphan (a crash between storing and committing, a commit
 * that failed, an older database restored): BlobStore.removeUnnamed sweeps it.
 */
export function namedBlobs(db: Db): Set<string> {
  const named = new Set<string>();
  const unpurged = `NOT EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id AND e.kind = 'note' AND ${PURGED})`;
  const docs = db.prepare(`SELECT d.original_sha256, d.stamped_sha256, d.signed_sha256, json_extract(d.certificate, '$.sha256') AS certificate_sha256
    FROM documents d JOIN requests r ON r.id = d.request_id WHERE ${unpurged}`).raw().iterate() as Iterable<Array<string | null>>;
  for (const row of docs) for (const hash of row) if (hash) named.add(hash);
  const jobs = db.prepare(`SELECT j.payload FROM jobs j LEFT JOIN requests r ON r.id = j.request_id
    WHERE j.request_id IS NULL OR r.id IS NULL OR j.state = 'pending' OR ${unpurged}`).pluck().iterate() as Iterable<string>;
  for (const payload of jobs) for (const match of payload.matchAll(SHA256_RE)) named.add(match[0]);
  return named;
}

/**
 * When this database was made (its first migration, at the machine's time). A file in
 * `blobs/` older than that is not this database's to judge — a database made afresh, or
 * the wrong one opened, beside an older blobs/ — and is never swept.
 */
export function databaseMadeAt(db: Db): Date {
  const first = db.prepare('SELECT applied_at FROM schema_migrations ORDER BY version LIMIT 1').pluck().get() as string | undefined;
  return first ? new Date(first) : new Date();
}

/** Whether `event` is the one recordPurged writes: the request's files are gone. */
export function isPurgeNote(event: Pick<EventRow, 'kind' | 'detail'>): boolean {
  return event.kind === 'note' && event.detail?.purged === true;
}

/** The audit event that says the request's files are gone (the request and its trail stay). */
export function recordPurged(db: Db, requestId: string, detail: { deleted: string[]; kept: string[]; retentionDays: number }, now: Date): void {
  addEvent(db, { requestId, kind: 'note', detail: { purged: true, ...detail } }, now);
}

/** How many refused mails' rows one call deletes, in one transaction. */
export const REFUSED_BATCH = 500;

/**
 * A mail refused at intake (state `rejected`: it never became a request, and has no
 * documents) leaves a request row, its audit trail and its reply's job — a flood of junk
 * would grow the database for ever. Past the cutoff they are deleted, up to REFUSED_BATCH
 * a call (the caller yields between calls); the mail's own row in `messages` stays (it is
 * how a copy of the mail is known), no longer naming the request. Returns how many.
 */
export function deleteRefusedRequests(db: Db, cutoff: Date): number {
  return db.transaction(() => {
    const ids = (db.prepare(`SELECT r.id FROM requests r
      WHERE r.state = 'rejected'
        AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.request_id = r.id)
        AND (SELECT max(e.at) FROM events e WHERE e.request_id = r.id AND e.kind = 'transition') <= ?
        AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = r.id AND j.state = 'pending')
      LIMIT ?`).all(cutoff.toISOString(), REFUSED_BATCH) as Array<{ id: string }>).map((r) => r.id);
    if (ids.length === 0) return 0;
    const list = `(${ids.map(() => '?').join(', ')})`;
    db.prepare(`UPDATE messages SET request_id = NULL WHERE request_id IN ${list}`).run(...ids);
    db.prepare(`UPDATE reply_commands SET request_id = NULL WHERE request_id IN ${list}`).run(...ids);
    for (const table of ['events', 'jobs', 'acknowledgements', 'signer_notes', 'sent_mails', 'restore_holds', 'requests']) {
      db.prepare(`DELETE FROM ${table} WHERE ${table === 'requests' ? 'id' : 'request_id'} IN ${list}`).run(...ids);
    }
    return ids.length;
  })();
}

/**
 * Rows no request keeps, past the cutoff, that nothing else deletes (lifecycle review L2): a
 * filed mail's count of attempts, an alert's note that names no request (a completion mail
 * matching none — the return address is printed on every signing page, so it gets spam), and
 * a mail job of no request no longer pending (an alert, a summary of held-back alerts). A mail's
 * own row in `messages` stays: it is how a copy of the mail is known.
 */
export function deleteUnattachedRows(db: Db, cutoff: Date): { attempts: number; notes: number; jobs: number } {
  const at = cutoff.toISOString();
  return db.transaction(() => ({
    attempts: db.prepare('DELETE FROM message_attempts WHERE updated_at < ?').run(at).changes,
    notes: db.prepare('DELETE FROM events WHERE request_id IS NULL AND at < ?').run(at).changes,
    // An alert's Message-ID goes with its job: a bounce that late is filed as nobody's.
    jobs: db.prepare("DELETE FROM jobs WHERE request_id IS NULL AND state <> 'pending' AND updated_at < ?").run(at).changes
      + db.prepare('DELETE FROM sent_mails WHERE request_id IS NULL AND created_at < ?').run(at).changes,
  }))();
}
