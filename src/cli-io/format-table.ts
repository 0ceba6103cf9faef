// Aligned plain-text tables for people (`requests`, `status`, `show`): a header row, then
// one row per item, columns separated by two spaces and padded to the widest cell; the last
// column is not padded, so no line ends in spaces. Pure.
import { cut } from '../outside-text.ts';
import { escapeForTerminal } from '../terminal-text.ts';

/** Cells are shown as given, escaped; null and undefined as "-". */
export type Cell = string | number | null | undefined;

// A cell is one line of visible text: cells carry outside text (requesters, file names,
// errors), and a raw CR or escape sequence in one would redraw the table. Widths are
// measured on the escaped text, so the columns stay aligned.
const show = (cell: Cell): string => (cell === null || cell === undefined || cell === '' ? '-' : escapeForTerminal(String(cell)));

/**
 * The widest a column other than the last is shown (`…` where cut): every row is padded to
 * its column's widest cell, so one outsider's long address made every line of `requests`
 * as long. The last column is not padded, and shown whole; `show` and `--json` give all.
 */
const MAX_CELL_CHARS = 80;

export function formatTable(headers: readonly string[], rows: readonly Cell[][]): string {
  const last = headers.length - 1;
  const text = [headers.map(String), ...rows.map((row) => headers.map((_, i) => (i === last ? show(row[i]) : cut(show(row[i]), MAX_CELL_CHARS))))];
  const widths = headers.map((_, i) => Math.max(...text.map((row) => [...row[i]!].length)));
  return text
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length))).join('  '))
    .join('\n');
}

/** "2026-11-23 11:02:05" from an ISO timestamp, in UTC (the database's clock). */
export function shortTime(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '-';
}

/** "5 s", "3 min", "2 h", "4 d": how long ago, for heartbeat ages and queue waits. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7_200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3_600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
