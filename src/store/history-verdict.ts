// Whether the database the daemon opens is behind what the data dir last saw of it
// (history-mark.ts): pure, so each case is tested on its own.
import type { History } from './history-mark.ts';

export type HistoryVerdict =
  | { behind: false }
  /** `why`: for the operator, what was found. */
  | { behind: true; why: string };

export function historyVerdict(mark: History | undefined, now: History): HistoryVerdict {
  // No mark: a new data dir, a signrelay from before the mark, or the mark lost — nothing to compare.
  if (mark === undefined) return { behind: false };
  if (mark.database !== now.database) {
    return { behind: true, why: 'signrelay.db is not the database signrelay last ran with in this data dir (another database was put in its place: a backup of another instance, or a new one)' };
  }
  if (now.seq < mark.seq) {
    return { behind: true, why: `signrelay.db is older than the one signrelay last ran with in this data dir: ${mark.seq - now.seq} of the steps it had recorded are not in it (a backup was restored?)` };
  }
  return { behind: false };
}
