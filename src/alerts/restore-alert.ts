// At every start, before any job runs: is signrelay.db behind what this data dir saw of it
// (store/history-verdict.ts)? A restored backup does again what was done after it was taken:
// a request it holds as waiting to be sent went out since (its signers would be invited a
// second time), a signed document it holds as awaited was delivered (noted, its requester
// told again), a mail it holds as queued was sent. No outside system lets signrelay tell
// which (Secured Signing cannot look an upload up by our reference), so the requests with
// work left are held (store/restore-holds.ts) and the operators told what to check.
import type { Logger } from '../log.ts';
import { databaseHistory, noteMarked, type DatabaseHistory } from '../store/database-history.ts';
import { readHistoryMark, writeHistoryMark, type History } from '../store/history-mark.ts';
import { historyVerdict } from '../store/history-verdict.ts';
import { countHeld, heldRequests, holdOpenRequests, type HeldRequest } from '../store/restore-holds.ts';
import { operatorCommand } from '../service-unit.ts';
import { raiseAlert, type AlertDeps } from './raise-alert.ts';

/** Requests an alert names one by one; the rest are counted. */
const LISTED = 20;

/**
 * The database's history as a running daemon follows it (after checkForRestore): the mark
 * moves with it, and a database gone back under the daemon — a backup restored into the file
 * (`sqlite3 … .restore`), which the file's identity does not show — is found (diff review 20 H1).
 */
export interface HistoryWatch {
  /**
   * Why the database went back under the daemon, once it has (it stays so); undefined while it
   * has not. Reads one row: asked before each round of jobs. The first time, the mark keeps
   * the furthest history seen, so the next start finds the database behind it and holds.
   */
  wentBack(): string | undefined;
  /** Brings the mark up to the database when it moved; a database gone back is never marked. */
  mark(): void;
}

/**
 * At a start, before any job runs: compares, holds and alerts when behind, marks the
 * database's history as now seen, and returns the watch the daemon follows it with.
 */
export function checkForRestore(deps: AlertDeps & { dataDir: string; onWentBack: (reason: string) => void }): HistoryWatch {
  const { db, logger, dataDir } = deps;
  const now = deps.now();
  const history = databaseHistory(db);
  const verdict = historyVerdict(readHistoryMark(dataDir), history);
  if (verdict.behind) {
    const held = holdOpenRequests(db, now);
    logger.error('the database is behind what this data dir saw of it: the requests with work left are held', { why: verdict.why, held, release: operatorCommand('release --all') });
    raiseAlert(deps, restoreAlert(verdict.why, heldRequests(db, LISTED), countHeld(db)));
  }
  // Marked in the data dir, then in the database: from now on a data dir without the mark is not this database's.
  if (markHistory(dataDir, history, now, logger)) noteMarked(db, now);

  /** The furthest history seen, and the count last written to the mark (a kill leaves it behind, which is never taken for a restore). */
  let highest = databaseHistory(db);
  let written = highest.seq;
  let wentBack: string | undefined;
  const check = (seen: DatabaseHistory): string | undefined => {
    if (wentBack !== undefined) return wentBack;
    if (seen.database === highest.database && seen.seq >= highest.seq) {
      highest = seen;
      return undefined;
    }
    wentBack = `the database ${db.name} (in storage.data_dir) went back while signrelay ran — a backup restored into it? — and what was done after that backup would be done again: stopping. Start signrelay again: the requests with work left are held until you check and release them (docs/operations.md, "Backup and upgrades")`;
    logger.error('the database went back while signrelay ran: stopping', { reason: wentBack });
    markHistory(dataDir, highest, deps.now(), logger);
    deps.onWentBack(wentBack);
    return wentBack;
  };
  return {
    wentBack: () => check(databaseHistory(db)),
    mark() {
      try {
        const seen = databaseHistory(db);
        if (check(seen) !== undefined || seen.seq === written) return;
        if (markHistory(dataDir, seen, deps.now(), logger)) written = seen.seq;
      } catch (err) {
        logger.warn('the history mark could not be brought up to date', { error: err instanceof Error ? err.message : String(err) });
      }
    },
  };
}

/** The database's history as the data dir's mark; a mark that cannot be written is worth a warning, not a stop. */
function markHistory(dataDir: string, history: History, now: Date, logger: Logger): boolean {
  try {
    writeHistoryMark(dataDir, history, now);
    return true;
  } catch (err) {
    logger.warn('the history mark could not be written: a restored backup would not be noticed at the next start', { error: err instanceof Error ? err.message : String(err) });
    return false;
  }
}

function restoreAlert(why: string, listed: readonly HeldRequest[], total: number): { kind: 'restored'; subject: string; text: string } {
  const lines = listed.map((r) => `  ${r.id}  ${r.state}${r.recordNumber ? `  ${r.recordNumber}` : ''}`);
  if (total > listed.length) lines.push(`  … and ${total - listed.length} more (${operatorCommand('requests --held')})`);
  const what = total === 0
    ? 'No request in it has work left, so nothing is held.'
    : `${total === 1 ? 'The 1 request' : `The ${total} requests`} in it with work left ${total === 1 ? 'is' : 'are'} held — nothing of theirs is sent, delivered or mailed — until you release them:\n\n${lines.join('\n')}\n\n`
      + 'For each, look at the provider and on its record what was done after the backup was taken '
      + `(${operatorCommand('show ID')}; at the provider its package is named "RECORD (signrelay ID)"). A request held as stamped or uploaded `
      + 'that went out since would invite its signers a second time, and this database has no reference to the copy that went out: '
      + `withdraw that copy at the provider yourself, then cancel the request here (${operatorCommand('cancel ID')}; it sends nothing once a cancel is queued, `
      + 'and its requester is told it was withdrawn) — or, to let the signers sign the copy that went out, cancel it here all the same and attach '
      + 'the signed copy to the record by hand when it comes (it is filed in Unmatched, with an alert). '
      + `Then ${operatorCommand('release --all')} (or ${operatorCommand('release ID')} one by one) lets the rest go on.`;
  return {
    kind: 'restored',
    subject: total === 0 ? 'signrelay.db is behind this data dir: a backup restored?' : `signrelay.db is behind this data dir: ${total} request(s) held`,
    text: `At its start signrelay found that ${why}.\n\n${what}\n\n`
      + 'Requests received after the backup was taken are not in this database: their signed copies arrive in the return mailbox\'s Unmatched folder, with an alert each (docs/operations.md, "Backup and upgrades"). New requests are handled as usual.',
  };
}
