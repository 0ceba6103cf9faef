// `signrelay check`'s checklist: each item is one question about the installation ("can
// signrelay log in to the request mailbox?"), answered ✓ or ✗ with the fix. Items run in
// order; an item can say that later ones make no sense without it (no configuration, no
// IMAP login → no folder checks). Never changes anything outside signrelay.
import { storageFailure, type StorageContext } from '../store/storage-failure.ts';
import { escapeForTerminal } from '../terminal-text.ts';
import { isSignrelayError, type ErrorKind } from '../errors.ts';

export interface CheckResult {
  ok: boolean;
  /** What was found: "logged in as sign@corp.example", "plan Business, 480 documents left". */
  detail: string;
  /** For ✗: what to do, naming the setting. */
  fix?: string;
  /** For ✓: something that works but should be looked at (settings that work against each other). */
  warnings?: string[];
  /** For ✗: the settings work, the account needs the operator (a full mailbox) — a reload is not refused for it (reload-mail-check.ts). */
  advisory?: boolean;
  /** For ✗ from a call: the error's kind — `transient` when the server could not be reached (a reload goes on then: reload-mail-check.ts). */
  kind?: ErrorKind;
}

export interface CheckItem {
  title: string;
  run(): Promise<CheckResult | CheckResult[]>;
}

export interface CheckLine extends CheckResult {
  title: string;
}

const failed = (err: unknown): CheckResult => ({ ok: false, detail: err instanceof Error ? err.message : String(err) });

/**
 * An item that needs the database of an older signrelay (a new version installed, its daemon
 * not restarted yet): not checked — check never upgrades the database under the daemon still
 * running on it — and nothing is wrong.
 */
const notYet = (err: Error): CheckResult => ({ ok: true, detail: 'not checked yet', warnings: [err.message] });

/**
 * `storage`: the data dir, for an item that fails on the database itself (another process's
 * write lock, a full disk) — told as the storage failure it is, with its fix, not as SQLite's
 * bare "database is locked".
 */
export async function runChecklist(items: CheckItem[], onLine: (line: CheckLine) => void, storage?: StorageContext): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const item of items) {
    let results: CheckResult[];
    try {
      const result = await item.run();
      results = Array.isArray(result) ? result : [result];
    } catch (err) {
      const told = storage ? storageFailure(err, storage, 'Check again once that is fixed.') : undefined;
      results = [isSignrelayError(err) && err.code === 'database_old' ? notYet(err) : failed(told ?? err)];
    }
    for (const r of results) {
      const line = { title: item.title, ...r };
      lines.push(line);
      onLine(line);
    }
  }
  return lines;
}

/**
 * One check as the operator reads it. Its detail may quote a server (an error answer, an
 * account's plan): every control and invisible character in it is printed escaped, and a line
 * it breaks onto is indented under its check, so no answer can redraw a line or forge a ✓.
 */
export function formatCheckLine(line: CheckLine): string {
  const shown = (text: string) => text.split('\n').map(escapeForTerminal).join('\n      ');
  const head = `${line.ok ? '✓' : '✗'} ${line.title}${line.detail ? `: ${shown(line.detail)}` : ''}`;
  const notes = (line.warnings ?? []).map((w) => `\n    warning: ${shown(w)}`).join('');
  return line.fix ? `${head}${notes}\n    fix: ${shown(line.fix)}` : `${head}${notes}`;
}
