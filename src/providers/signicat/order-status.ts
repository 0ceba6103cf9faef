// A document's status from its order's task statuses (and its package's), pure. The Sign
// API reports per task (one per signer): CREATED, COMPLETED, REJECTED, EXPIRED, DELETED;
// a PAdES package: CREATED, COMPLETED, FAILED.
import type { DocumentStatus } from '../provider.ts';
import { latest } from '../provider-time.ts';

export interface TaskState {
  taskId: string;
  signer: string;
  status: string;
  /** When the task completed, from its TASK_COMPLETED event (the status answer has no time); absent when unknown. */
  completedAt?: Date;
}

export function documentStatusOf(reference: string, tasks: readonly TaskState[], packaging: string | null): DocumentStatus {
  const signers = tasks.map((t) => ({ email: t.signer, hasSigned: t.status === 'COMPLETED', ...(t.status === 'COMPLETED' && t.completedAt ? { signedAt: t.completedAt } : {}) }));
  const completed = tasks.filter((t) => t.status === 'COMPLETED');
  const done = completed.length;
  // The latest signature is known only when every completed task's time is: one unknown may be the latest.
  const lastSignedAt = done > 0 && completed.every((t) => t.completedAt) ? latest(completed.map((t) => t.completedAt)) : undefined;
  const base = { reference, sent: true, signers, ...(lastSignedAt ? { lastSignedAt } : {}) };
  const withStatus = (status: string) => tasks.find((t) => t.status === status);
  if (withStatus('DELETED')) return { ...base, phase: 'withdrawn', raw: 'DELETED' };
  const rejected = withStatus('REJECTED');
  if (rejected) return { ...base, phase: 'declined', raw: `REJECTED by ${rejected.signer}` };
  const expired = withStatus('EXPIRED');
  if (expired) return { ...base, phase: 'expired', raw: 'EXPIRED' };
  if (done < tasks.length) return { ...base, phase: 'in-progress', raw: `${done} of ${tasks.length} tasks COMPLETED` };
  // Every signer signed, and Signicat failed to make the package: a fault at Signicat, not a
  // refusal — the signing ended, and the download fails the request, which can be retried
  // (as a refusal it was declined: the requester and the record told so; Signicat review M4).
  if (packaging === 'FAILED') return { ...base, phase: 'completed', raw: 'signed, but the PAdES packaging FAILED' };
  // Every signer signed: the signing has ended, though the package may still be in the making
  // (Signicat makes it after the last signature) — the download waits for it. As in progress,
  // a cancel in that moment deleted a signed order (Signicat review H1).
  if (packaging !== null && packaging !== 'COMPLETED') return { ...base, phase: 'completed', raw: `signed; packaging ${packaging}` };
  return { ...base, phase: 'completed', raw: 'COMPLETED' };
}
