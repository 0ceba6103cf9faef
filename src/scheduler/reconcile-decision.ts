// What reconciliation does with a sent request, from what the provider says about its
// documents. Pure. The completion mail is only a trigger: a document Complete at the
// provider with no mail after the grace period is completed anyway, and a refusal
// (declined, expired, rejected) goes to the same `complete` job so one code path decides.
import { signingOutcome, type DocumentStatus, type RefusalPhase } from '../providers/provider.ts';

export type ReconcileDecision =
  | { action: 'complete'; why: 'completed' | 'withdrawn' | RefusalPhase; reference: string; raw: string }
  | { action: 'wait'; why: 'in-progress' | 'grace'; reference?: string; raw?: string };

export function decideReconcile(statuses: readonly DocumentStatus[], sentAt: Date, graceMs: number, now: Date): ReconcileDecision {
  const { ended, status } = signingOutcome(statuses);
  if (ended === false) return { action: 'wait', why: 'in-progress', reference: status?.reference, raw: status?.raw };
  if (ended === 'refused') return { action: 'complete', why: status.phase, reference: status.reference, raw: status.raw };
  // The mail usually arrives within minutes; before the grace period is over it may still come.
  if (ended === 'completed' && now.getTime() - sentAt.getTime() < graceMs) return { action: 'wait', why: 'grace', reference: status.reference, raw: status.raw };
  // Completed, or deleted at the provider: the complete job fails the latter with an alert, rather than waiting for ever.
  return { action: 'complete', why: ended, reference: status.reference, raw: status.raw };
}
