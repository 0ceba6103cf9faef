// The database's history as the data dir last saw it: `history-mark.json` beside
// signrelay.db holds the database's id and how many rows it had ever added (the `history`
// row, migration 0021) when the daemon last wrote it — every few seconds while it runs, and
// when it stops. A database that starts behind its mark is an older copy of itself (a
// restored backup) or another database (historyVerdict). The mark is not part of a backup
// (operations.md): restored with the database, it would agree with it.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface History {
  /** Made once, when the database got its history (migration 0021). */
  database: string;
  /** Rows ever added to events, jobs and messages: it only grows. */
  seq: number;
}

export const HISTORY_MARK_FILE = 'history-mark.json';

/** The mark the data dir holds; undefined when there is none or it cannot be read as one (then nothing can be said). */
export function readHistoryMark(dataDir: string): History | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, HISTORY_MARK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    return typeof value.database === 'string' && Number.isSafeInteger(value.seq) ? { database: value.database, seq: value.seq as number } : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the mark whole or not at all (a crash mid-write leaves the previous one). */
export function writeHistoryMark(dataDir: string, history: History, now: Date): void {
  const file = join(dataDir, HISTORY_MARK_FILE);
  // One daemon per data dir (its lock): one temporary name, so a kill mid-write leaves no litter that grows.
  const temporary = `${file}.tmp`;
  try {
    // On disk before it replaces the last one: a power cut must not leave an empty mark.
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify({ database: history.database, seq: history.seq, at: now.toISOString() })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}
