// What `signrelay retry` does with a failed request: it goes back to the state it failed
// from, and the job that works from that state is queued again — `submit` before the
// signers were invited, `complete` after. Every effect already recorded (upload, send,
// attachment) is found in the audit trail by those jobs and not repeated. A request failed
// from `delivered` — the mail that delivered it bounced (delivery: email) — goes back to
// `completed`, and its `complete` job mails the signed document again: the bounce recorded
// the mail as failed, so the delivery is not taken for done. Pure.
import type { EventRow } from '../store/events.ts';
import type { JobKind } from '../store/jobs.ts';
import type { RequestState } from '../store/request-states.ts';

export type RetryPlan =
  | { ok: true; backTo: RequestState; job: JobKind; payload: Record<string, unknown> }
  | { ok: false; problem: string };

// Not `received`: intake stamps in the same transaction that records the request, so no
// job ever works on a received request; one that failed there must be mailed again.
const JOB_FOR: Partial<Record<RequestState, JobKind>> = {
  stamped: 'submit', uploaded: 'submit', sent: 'complete', completed: 'complete', delivered: 'complete',
};

/** Where a retry resumes from the state the request failed from: the delivery's work starts at `completed`. */
const RESUME_AT: Partial<Record<RequestState, RequestState>> = { delivered: 'completed' };

export function retryPlan(request: { id: string; state: RequestState }, events: readonly EventRow[]): RetryPlan {
  if (request.state !== 'failed') {
    return { ok: false, problem: `request ${request.id} is ${request.state}, not failed: only a failed request can be retried` };
  }
  const failure = [...events].reverse().find((e) => e.kind === 'transition' && e.toState === 'failed');
  const from = failure?.fromState;
  const job = from ? JOB_FOR[from] : undefined;
  if (!from || !job) return { ok: false, problem: `request ${request.id} failed from ${from ?? 'an unknown state'}; there is no step to retry` };
  return { ok: true, backTo: RESUME_AT[from] ?? from, job, payload: job === 'complete' ? { attachments: [], source: 'retry' } : {} };
}
