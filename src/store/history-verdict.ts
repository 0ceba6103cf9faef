// Whether the database the daemon opens is behind what the data dir last saw of it
// (history-mark.ts): pure, so each case is tested on its own.
import type { DatabaseHistory } from './database-history.ts';
import type { History } from './history-mark.ts';

export type HistoryVerdict =
  | { behind: false }
  /** `why`: for the operator, what was found. */
  | { behind: true; why: string };

export function historyVerdict(mark: History | undefined, now: DatabaseHistory): HistoryVerdict {
  if (mark === undefined) {
    // A database marked before, in a data dir without its mark: the old data dir was lost
    // (a disk, a machine) and the database restored from a backup into a new one — or the
    // mark was removed. Never marked: a new data dir, or a database from before the mark.
    return now.markedAt === null ? { behind: false } : {
      behind: true,
      why: `signrelay.db ran before (its history was first marked on ${now.markedAt.slice(0, 10)}), but this data dir has no history-mark.json: it was restored from a backup into a new data dir, or the mark was removed`,
    };
  }
  if (mark.database !== now.database) {
    // A database never marked (one restored from before the mark, then upgraded again) is not
    // the mark's to judge: it says nothing of it (diff review 20 L3).
    return now.markedAt === null ? { behind: false } : {
      behind: true,
      why: 'signrelay.db is not the database signrelay last ran with in this data dir (another database was put in its place: a backup of another instance, or a new one)',
    };
  }
  if (now.seq < mark.seq) {
    return { behind: true, why: `signrelay.db is older than the one signrelay last ran with in this data dir: ${mark.seq - now.seq} of the steps it had recorded are not in it (a backup was restored?)` };
  }
  return { behind: false };
}
