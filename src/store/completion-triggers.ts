// A completion mail as the `complete` job sees it: a trigger, and — with
// completion.trust_attachment — the PDFs it carried. One job per request at a time: a mail
// that arrives while one is pending adds its PDFs to that job and makes it due now (a new
// reason to ask the provider, with a fresh set of rechecks), instead of being lost behind
// it; otherwise it queues a new one. The PDFs stay in the jobs' payloads (retention finds
// them there), so the job can weigh every PDF of every completion mail the request got,
// not only the first mail's.
import { enqueueJob } from './jobs.ts';
import type { Db } from './open-database.ts';

export interface MailedPdf {
  fileName: string;
  sha256: string;
}

/** What a `complete` job's payload holds about its triggers. */
interface TriggerPayload {
  attachments?: MailedPdf[];
  /** The job's attempt count when its latest trigger came: rechecks are counted from there. */
  checksFrom?: number;
  [key: string]: unknown;
}

/** Queues the `complete` job, or hands the mail's PDFs to the pending one and makes it due now. */
export function queueCompletionTrigger(db: Db, requestId: string, attachments: MailedPdf[], now: Date): 'queued' | 'merged' {
  return db.transaction(() => {
    const pending = db.prepare("SELECT id, payload, attempts FROM jobs WHERE request_id = ? AND kind = 'complete' AND state = 'pending' ORDER BY id LIMIT 1")
      .get(requestId) as { id: number; payload: string; attempts: number } | undefined;
    if (!pending) {
      enqueueJob(db, { kind: 'complete', requestId, payload: { attachments } }, now);
      return 'queued';
    }
    const payload = JSON.parse(pending.payload) as TriggerPayload;
    const known = new Set((payload.attachments ?? []).map((a) => a.sha256));
    const merged: TriggerPayload = {
      ...payload,
      attachments: [...(payload.attachments ?? []), ...attachments.filter((a) => !known.has(a.sha256))],
      checksFrom: pending.attempts,
    };
    const at = now.toISOString();
    db.prepare('UPDATE jobs SET payload = ?, run_at = min(run_at, ?), updated_at = ? WHERE id = ?').run(JSON.stringify(merged), at, at, pending.id);
    return 'merged';
  })();
}

/** Every PDF the request's completion mails carried, oldest first, each once (by content). */
export function mailedPdfs(db: Db, requestId: string): MailedPdf[] {
  const rows = db.prepare("SELECT payload FROM jobs WHERE request_id = ? AND kind = 'complete' ORDER BY id").all(requestId) as Array<{ payload: string }>;
  const seen = new Map<string, MailedPdf>();
  for (const row of rows) {
    for (const pdf of (JSON.parse(row.payload) as TriggerPayload).attachments ?? []) {
      // Seen again later: it counts as of its latest mail.
      seen.delete(pdf.sha256);
      seen.set(pdf.sha256, pdf);
    }
  }
  return [...seen.values()];
}

/** Rechecks a job has had since its latest trigger (its attempts so far, this one not counted). */
export function checksSinceTrigger(db: Db, jobId: number, attempts: number): number {
  const row = db.prepare('SELECT payload FROM jobs WHERE id = ?').get(jobId) as { payload: string } | undefined;
  const from = row ? (JSON.parse(row.payload) as TriggerPayload).checksFrom ?? 0 : 0;
  return Math.max(0, attempts - from);
}
