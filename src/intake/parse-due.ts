// When signing must be done: a `Due:` line (`Due: 2026-12-24`, `Due: 14d`, `14 days`,
// `2w`, `2 weeks`; also "Due date:" and 2026/12/24), else the route's `due_days`. Secured
// Signing requires a due date, so the result is always a date, YYYY-MM-DD in UTC, from `now`.
// A due date written another way (`Due by: …`, `Deadline: …`) is refused, not left for the
// route's default to stand in for.
import { findDirectives, ownLines, type Directive } from './directive-lines.ts';
import type { Checked, DueFrom } from './types.ts';
import { DAY_MS, dueMoment } from '../time.ts';

const ACCEPTED_FORMS = 'write Due: 2026-12-24 (a date) or Due: 14d (days from today)';

/** The due date (null with problems), and whether the mail gave it or the route's `due_days` did. */
export function parseDue(body: string, dueDays: number, now: Date): Checked<string | null> & { from: DueFrom } {
  const lines = findDirectives(body, String.raw`due(?:\s+date)?`);
  return { ...readDue(lines, body, dueDays, now), from: lines.length > 0 ? 'mail' : 'route' };
}

function readDue(lines: Directive[], body: string, dueDays: number, now: Date): Checked<string | null> {
  const distinct = [...new Set(lines.map((l) => l.value.toLowerCase()))];
  if (distinct.length > 1) {
    return { value: null, problems: [`the mail has ${distinct.length} different Due: lines (${distinct.join(', ')}): keep only one`] };
  }
  if (lines.length === 0) {
    const misses = dueNearMisses(body);
    return misses.length > 0 ? { value: null, problems: misses } : { value: addDays(now, dueDays), problems: [] };
  }

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

/**
 * A line that starts with a due date's label in another form — `Due by:`, `Due on`, `Due date
 * 2027-01-29`, `Due - …`, `Sign by:`, `Please sign by …`, `Signing due:`, `Deadline:`,
 * `Expires:`, `Frist:` … — and gives a date or a number of days: with a separator anywhere
 * after it, without one right after it (`Due 2027-01-29`, `Deadline is Friday`). Prose that
 * only mentions a deadline ("The deadline for the offer is Friday.", "Due to the holidays …
 * 2027-01-29") is none: the line does not start with the label, or no date follows it.
 */
const DUE_LABEL = new RegExp(String.raw`^[*_]*(?<label>(?:(?:please|kindly|pls)\s+)?(?:due(?:\s+(?:by|on|before|within|in|date))?|sign(?:ed|ing)?\s+(?:by|before|within|until|no\s+later\s+than)|signing\s+(?:due|deadline)(?:\s+date)?|(?:signing\s+)?deadline|expir(?:es|y|ation)(?:\s+(?:on|date))?|frist|fällig(?:\s+(?:am|bis))?|échéance|date\s+limite|fecha\s+l[ií]mite|scadenza))(?![\p{L}\d])[*_]*\s*(?<separator>[:：﹕=\-–—])?[*_]*\s*(?<value>.*)$`, 'iu');

const MONTH = String.raw`(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\p{L}*\.?`;
/** A date in any common form, a number of days or weeks, a weekday, today or tomorrow. */
const DATE_LIKE = String.raw`(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}\.?\s*${MONTH}|${MONTH}\s*\d{1,2}(?!\d)|\d{1,4}\s*(?:d|days?|w|weeks?)|(?:mon|tues|wednes|thurs|fri|satur|sun)day|today|tomorrow)(?![\p{L}\d])`;
const HAS_DATE = new RegExp(String.raw`(?<![\p{L}\d])${DATE_LIKE}`, 'iu');
const STARTS_WITH_DATE = new RegExp(String.raw`^(?:(?:is|on|by|the)\s+)*${DATE_LIKE}`, 'iu');

/** What a due-date near miss is answered with, one per line (no Due: line was read). */
function dueNearMisses(body: string): string[] {
  return ownLines(body).flatMap((line) => {
    const m = DUE_LABEL.exec(line)?.groups;
    if (!m) return [];
    const value = m['value']!;
    if (!(m['separator'] ? HAS_DATE : STARTS_WITH_DATE).test(value)) return [];
    const iso = /(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)/.exec(value)?.[0];
    const fix = iso ? `write it as Due: ${iso}` : ACCEPTED_FORMS;
    // Deadline:, Expires: may be about the document (an offer's, a contract's), not its signing.
    const other = /^[*_]*(?:please\s+|kindly\s+|pls\s+)?(?:due|sign)/i.test(line) ? '' : ' (if that line is not about when signing must be done, reword it)';
    return [`the line "${line}" is not a form signrelay reads, so the route's default due date would be used instead: ${fix}${other}`];
  });
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
