// When signing must be done: a `Due:` line (`Due: 2026-12-24`, `Due: 14d`, `14 days`,
// `2w`, `2 weeks`; also "Due date:" and 2026/12/24), else the route's `due_days`. Secured
// Signing requires a due date, so the result is always a date, YYYY-MM-DD in UTC, from `now`.
import { findDirectives } from './directive-lines.ts';
import type { Checked } from './types.ts';
import { DAY_MS } from '../time.ts';

const ACCEPTED_FORMS = 'write Due: 2026-12-24 (a date) or Due: 14d (days from today)';

export function parseDue(body: string, dueDays: number, now: Date): Checked<string | null> {
  const lines = findDirectives(body, String.raw`due(?:\s+date)?`);
  const distinct = [...new Set(lines.map((l) => l.value.toLowerCase()))];
  if (distinct.length > 1) {
    return { value: null, problems: [`the mail has ${distinct.length} different Due: lines (${distinct.join(', ')}): keep only one`] };
  }
  if (lines.length === 0) return { value: addDays(now, dueDays), problems: [] };

  const value = lines[0]!.value;
  const today = isoDate(now);
  const latest = latestDue(now);
  const tooFar = () => ({ value: null, problems: [`"Due: ${value}" is more than ten years away (after ${latest}): give a nearer date`] });
  const relative = /^(\d{1,4})\s*(d|days?|w|weeks?)$/i.exec(value);
  if (relative) {
    const days = Number(relative[1]) * (relative[2]!.toLowerCase().startsWith('w') ? 7 : 1);
    if (days === 0) return { value: null, problems: [`"Due: ${value}" leaves no time to sign: give at least 1 day (${ACCEPTED_FORMS})`] };
    const due = addDays(now, days);
    return due > latest ? tooFar() : { value: due, problems: [] };
  }
  const date = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value);
  if (date) {
    const iso = `${date[1]}-${date[2]!.padStart(2, '0')}-${date[3]!.padStart(2, '0')}`;
    if (!isRealDate(iso)) return { value: null, problems: [`"Due: ${value}" is not a calendar date: ${ACCEPTED_FORMS}`] };
    if (iso < today) return { value: null, problems: [`the due date ${iso} has passed (today is ${today}): give a later date, or a number of days like Due: 14d`] };
    if (iso > latest) return tooFar();
    return { value: iso, problems: [] };
  }
  return { value: null, problems: [`"Due: ${value}" is not a due date I understand: ${ACCEPTED_FORMS}`] };
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function addDays(now: Date, days: number): string {
  return isoDate(new Date(now.getTime() + days * DAY_MS));
}

function isRealDate(iso: string): boolean {
  const parsed = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && isoDate(parsed) === iso;
}

/** The latest due date a request may have: ten years from today, as routes.NAME.due_days allows (a provider refuses the absurd). */
export function latestDue(now: Date): string {
  return addDays(now, MAX_DUE_DAYS);
}

export const MAX_DUE_DAYS = 3650;
