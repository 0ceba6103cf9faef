// When signing must be done: a `Due:` line (`Due: 2026-12-24`, `Due: 14d`, `14 days`,
// `2w`, `2 weeks`; also "Due date:" and 2026/12/24), else the route's `due_days`. Secured
// Signing requires a due date, so the result is always a date, YYYY-MM-DD in UTC, from `now`.
import { findDirectives } from './directive-lines.ts';
import type { Checked } from './types.ts';
import { DAY_MS, dueMoment } from '../time.ts';

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
    if (iso < today) return { value: null, problems: [`the due date ${iso} has passed (today is ${today} in UTC, the time due dates are kept in): give a later date, or a number of days like Due: 14d`] };
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

/** The least time to sign a request may be sent with (its due date ends at 23:59:59 UTC), unless the provider needs more. */
const MIN_SIGNING_MS = 60 * 60_000;

/**
 * The due date a request is sent with: the one it has, or — when that ends within the hour
 * or has passed (a `Due:` of today written late in the UTC day, an outage or an operator's
 * fix between intake and the send, a `retry` days later) — tomorrow. A provider refuses a due
 * date in the past, and a request that can no longer be sent as asked would fail for good.
 * `leastMs`: the provider's least time to sign where it needs more (a day where capabilities.closes is whole days from the send).
 */
export function dueForSend(dueDate: string, now: Date, leastMs = MIN_SIGNING_MS): string {
  return dueMoment(dueDate).getTime() - now.getTime() >= leastMs ? dueDate : addDays(now, 1);
}
