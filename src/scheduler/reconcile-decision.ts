// What reconciliation does with a sent request, from what the provider says about its
// documents. Pure. The completion mail is only a trigger: a document Complete at the
// provider with no mail after the grace period is completed anyway, and a refusal
// (declined, expired, rejected) goes to the same `complete` job so one code path decides.
import { isRefusal, type DocumentStatus, type RefusalPhase } from '../providers/provider.ts';

export type ReconcileDecision =
  | { action: 'complete'; why: 'completed' | 'withdrawn' | RefusalPhase; reference: string; raw: string }
  | { action: 'wait'; why: 'in-progress' | 'grace'; reference?: string; raw?: string };

export function decideReconcile(statuses: readonly DocumentStatus[], sentAt: Date, graceMs: number, now: Date): ReconcileDecision {
  const refused = statuses.find((s) => isRefusal(s.phase));
  if (refused) return { action: 'complete', why: refused.phase as RefusalPhase, reference: refused.reference, raw: refused.raw };
  // Deleted at the provider: the complete job fails it with an alert, rather than waiting for ever.
  const withdrawn = statuses.find((s) => s.phase === 'withdrawn');
  if (withdrawn) return { action: 'complete', why: 'withdrawn', reference: withdrawn.reference, raw: withdrawn.raw };
  const pending = statuses.find((s) => s.phase !== 'completed');
  if (pending || statuses.length === 0) return { action: 'wait', why: 'in-progress', reference: pending?.reference, raw: pending?.raw };
  const last = statuses.at(-1)!;
  // The mail usually arrives within minutes; before the grace period is over it may still come.
  if (now.getTime() - sentAt.getTime() < graceMs) return { action: 'wait', why: 'grace', reference: last.reference, raw: last.raw };
  return { action: 'complete', why: 'completed', reference: last.reference, raw: last.raw };
}
