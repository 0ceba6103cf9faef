// Which scheduled tasks are due, from their last recorded run and the clock. Pure, so the
// rules are tested as a table: the heartbeat only wakes the scheduler every minute, and this
// decides — which is also how runs missed while the daemon was down are noticed at start
// (a heartbeat does not catch up by itself).
import type { RunOutcome } from '../store/schedule-runs.ts';

/**
 * The heartbeat fires on the minute while a run starts a little after it; without slack
 * a 15-minute task would start at :16, :32, … Half a heartbeat keeps it on time.
 */
export const DUE_SLACK_MS = 30_000;

export interface LastRun {
  startedAt: Date;
  outcome: RunOutcome;
}

export type DueReason =
  | 'never-ran' // no row: a new install or a new task
  | 'interrupted' // the previous run never finished (the daemon died or stopped mid-run)
  | 'interval-passed'
  | 'clock-moved-back'; // the last start lies in the future: waiting for it could take days

export type NotDueReason =
  | 'running' // a run of this task is still going in this process: skipped, never stacked
  | 'recent';

export type DueVerdict = { due: true; reason: DueReason } | { due: false; reason: NotDueReason };

export function dueVerdict(intervalMs: number, last: LastRun | undefined, runningHere: boolean, now: Date): DueVerdict {
  const reason = dueReason(intervalMs, last, runningHere, now);
  if (!reason) return { due: false, reason: 'recent' };
  // Due again while the last run is still going (a slow run): skip this turn, never stack.
  if (runningHere) return { due: false, reason: 'running' };
  return { due: true, reason };
}

function dueReason(intervalMs: number, last: LastRun | undefined, runningHere: boolean, now: Date): DueReason | undefined {
  if (!last) return 'never-ran';
  // `running` in the table but not here: a process that is gone left it (start marks those).
  if (last.outcome === 'interrupted' || (last.outcome === 'running' && !runningHere)) return 'interrupted';
  const sinceStart = now.getTime() - last.startedAt.getTime();
  if (sinceStart < -DUE_SLACK_MS) return 'clock-moved-back';
  if (sinceStart >= intervalMs - DUE_SLACK_MS) return 'interval-passed';
  return undefined;
}
