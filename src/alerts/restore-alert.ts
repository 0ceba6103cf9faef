// At every start, before any job runs: is signrelay.db behind what this data dir saw of it
// (store/history-verdict.ts)? A restored backup does again what was done after it was taken:
// a request it holds as waiting to be sent went out since (its signers would be invited a
// second time), a signed document it holds as awaited was delivered (noted, its requester
// told again), a mail it holds as queued was sent. No outside system lets signrelay tell
// which (Secured Signing cannot look an upload up by our reference), so the requests with
// work left are held (store/restore-holds.ts) and the operators told what to check.
import type { Logger } from '../log.ts';
import { databaseHistory, noteMarked } from '../store/database-history.ts';
import { readHistoryMark, writeHistoryMark, type History } from '../store/history-mark.ts';
import { historyVerdict } from '../store/history-verdict.ts';
import { countHeld, heldRequests, holdOpenRequests, type HeldRequest } from '../store/restore-holds.ts';
import { operatorCommand } from '../service-unit.ts';
import { raiseAlert, type AlertDeps } from './raise-alert.ts';

/** Requests an alert names one by one; the rest are counted. */
const LISTED = 20;

export interface RestoreCheck {
  /** What was found, when the database is behind; undefined when it is not. */
  why?: string;
  /** Requests held now. */
  held: number;
}

/** Compares, holds and alerts when behind, then marks the database's history as now seen. */
export function checkForRestore(deps: AlertDeps & { dataDir: string }): RestoreCheck {
  const { db, logger } = deps;
  const now = deps.now();
  const history = databaseHistory(db);
  const verdict = historyVerdict(readHistoryMark(deps.dataDir), history);
  let result: RestoreCheck = { held: 0 };
  if (verdict.behind) {
    const held = holdOpenRequests(db, now);
    result = { why: verdict.why, held };
    logger.error('the database is behind what this data dir saw of it: the requests with work left are held', { why: verdict.why, held, release: operatorCommand('release --all') });
    raiseAlert(deps, restoreAlert(verdict.why, heldRequests(db, LISTED), countHeld(db)));
  }
  // Marked in the data dir, then in the database: from now on a data dir without the mark is not this database's.
  if (markHistory(deps.dataDir, history, now, logger)) noteMarked(db, now);
  return result;
}

/** The database's history as the data dir's mark; a mark that cannot be written is worth a warning, not a stop. */
export function markHistory(dataDir: string, history: History, now: Date, logger: Logger): boolean {
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
