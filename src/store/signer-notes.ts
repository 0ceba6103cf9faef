// Which of a request's signers have had their "signed" note queued (migration 0011). Read
// and written inside the transaction that queues the note's `record` job.
import type { Db } from './open-database.ts';

/** The positions (0-based, in signing order) of the signers already noted. */
export function notedSigners(db: Db, requestId: string): Set<number> {
  const rows = db.prepare('SELECT position FROM signer_notes WHERE request_id = ?').all(requestId) as Array<{ position: number }>;
  return new Set(rows.map((r) => r.position));
}

/** Records a signer as noted; a second call for the same signer fails (the primary key): never two notes. */
export function recordSignerNoted(db: Db, requestId: string, position: number, now: Date): void {
  db.prepare('INSERT INTO signer_notes (request_id, position, noted_at) VALUES (?, ?, ?)').run(requestId, position, now.toISOString());
}
