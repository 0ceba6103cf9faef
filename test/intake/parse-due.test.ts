// Due dates: the accepted forms, the route default, and what is refused.
import { describe, expect, it } from 'vitest';
import { dueForSend, parseDue } from '../../src/intake/parse-due.ts';

const NOW = new Date('2026-11-03T10:00:00Z');

describe('parseDue', () => {
  it.each([
    ['no Due: line → route default', 'Please sign', '2026-11-17'],
    ['a date', 'Due: 2026-12-24', '2026-12-24'],
    ['a date with one-digit parts', 'Due: 2027-1-5', '2027-01-05'],
    ['a date with slashes', 'due: 2026/12/24', '2026-12-24'],
    ['"Due date:"', 'Due date: 2026-12-24', '2026-12-24'],
    ['today', 'Due: 2026-11-03', '2026-11-03'],
    ['days, short', 'Due: 14d', '2026-11-17'],
    ['days, long', 'Due: 14 days', '2026-11-17'],
    ['one day', 'DUE: 1 day', '2026-11-04'],
    ['weeks', 'Due: 2w', '2026-11-17'],
    ['weeks, long', '- Due: 3 weeks', '2026-11-24'],
    ['ten years away', 'Due: 3650d', '2036-10-31'],
    ['the same line twice', 'Due: 14d\nDue: 14D', '2026-11-17'],
    ['a date ending the sentence', 'Due: 2026-12-24.', '2026-12-24'],
    ['days ending the sentence', 'Due: 14 days.', '2026-11-17'],
    ['a word joiner after the value', 'Due: 14d\u2060', '2026-11-17'],
    ['a reply written below the quote: the quoted Due: line is the earlier mail\'s', 'On 02.11.26 10:00, Carl Old wrote:\n> Due: 2026-11-05\n\nLater, please:\nDue: 2026-12-24', '2026-12-24'],
  ])('%s', (_label, body, due) => {
    expect(parseDue(body, 14, NOW)).toMatchObject({ value: due, problems: [] });
  });

  it('says whether the mail gave the due date or the route\'s due_days did', () => {
    expect(parseDue('Please sign', 14, NOW)).toEqual({ value: '2026-11-17', problems: [], from: 'route' });
    expect(parseDue('Due: 14d', 14, NOW)).toEqual({ value: '2026-11-17', problems: [], from: 'mail' });
  });

  it.each([
    ['a past date', 'Due: 2026-10-01', /^the due date 2026-10-01 has passed \(today is 2026-11-03 in UTC, the time due dates are kept in\): give a later date, or a number of days like Due: 14d$/],
    ['an impossible date', 'Due: 2026-02-30', /^"Due: 2026-02-30" is not a calendar date: write Due: 2026-12-24 \(a date\) or Due: 14d \(days from today\)$/],
    ['words', 'Due: next Friday', /^"Due: next Friday" is not a due date I understand: write Due: 2026-12-24/],
    ['an American date', 'Due: 12/24/2026', /is not a due date I understand/],
    ['zero days', 'Due: 0d', /leaves no time to sign/],
    ['two different lines', 'Due: 14d\nDue: 2026-12-24', /2 different Due: lines \(14d, 2026-12-24\): keep only one/],
    ['a date more than ten years away', 'Due: 9999-12-31', /^"Due: 9999-12-31" is more than ten years away \(after 2036-10-31\): give a nearer date$/],
    ['days more than ten years away', 'Due: 9999d', /is more than ten years away/],
  ])('refuses %s', (_label, body, problem) => {
    const result = parseDue(body, 14, NOW);
    expect(result.value).toBeNull();
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(problem);
  });

  it('counts in UTC, whatever the local evening says', () => {
    // 23:30 in New York on 3 November is already 4 November in UTC.
    const late = new Date('2026-11-03T23:30:00-05:00');
    expect(parseDue('Due: 1d', 14, late).value).toBe('2026-11-05');
    expect(parseDue('Due: 2026-11-03', 14, late).problems[0]).toMatch(/has passed \(today is 2026-11-04 in UTC/);
  });
});

describe('parseDue: a due date written in another form (signers review M2)', () => {
  // Each would have gone out with the route's 14 days, and nothing told the requester.
  it.each([
    'Due by: 2027-01-29',
    'Due on: 2027-01-29',
    'Due date 2027-01-29',
    'Due - 2027-01-29',
    'Due 2027-01-29',
    'Due by 2027-01-29',
    'Signing due: 2027-01-29',
    'Sign by: 2027-01-29',
    'Please sign by: 2027-01-29',
    'Deadline: 2027-01-29',
    'Expires: 2027-01-29',
    '- **Due by:** 29.01.2027',
    'Due in 14 days',
    'Please sign by Friday.',
    'Deadline is 24 December',
  ])('refuses "%s", saying how to write it', (line) => {
    const result = parseDue(`Please sign the attached.\n${line}\n`, 14, NOW);
    expect(result.value).toBeNull();
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^the line ".+" is not a form signrelay reads, so the route's default due date would be used instead: write (it as Due: 2027-01-29|Due: 2026-12-24 \(a date\) or Due: 14d \(days from today\))/);
  });

  it('answers with the date the line gave, and asks to reword a line that may be about the document', () => {
    expect(parseDue('Due by: 2027-01-29', 14, NOW).problems).toEqual([
      'the line "Due by: 2027-01-29" is not a form signrelay reads, so the route\'s default due date would be used instead: write it as Due: 2027-01-29',
    ]);
    expect(parseDue('Expires: 2030-12-31', 14, NOW).problems).toEqual([
      'the line "Expires: 2030-12-31" is not a form signrelay reads, so the route\'s default due date would be used instead: write it as Due: 2030-12-31 (if that line is not about when signing must be done, reword it)',
    ]);
  });

  it.each([
    ['a sentence that mentions a deadline', 'The deadline for the offer is Friday.'],
    ['a sentence that starts with "Due to" and holds a date', 'Due to the holidays, we need this by 2027-01-29.'],
    ['a deadline without a date', 'Deadline is tight, sorry.'],
    ['a deadline in words', 'Deadline: end of month'],
    ['"please sign by" without a date', 'Please sign by the end of the week.'],
    ['another label that starts with Due', 'Due diligence: 2027-01-29 report attached'],
    ['a quoted line (someone else\'s mail)', 'On 02.11.26 10:00, Carl Old wrote:\n> Due by: 2027-01-29'],
  ])('takes the route default for %s', (_label, body) => {
    expect(parseDue(body, 14, NOW)).toEqual({ value: '2026-11-17', problems: [], from: 'route' });
  });

  it('lets a Due: line decide beside one in another form (the due date was given)', () => {
    expect(parseDue('Due: 2027-01-29\nExpires: 2030-12-31', 14, NOW)).toEqual({ value: '2027-01-29', problems: [], from: 'mail' });
  });
});

describe('dueForSend', () => {
  it('keeps a due date with an hour or more left, and sends one that passed or ends within the hour with the next day', () => {
    expect(dueForSend('2026-12-24', new Date('2026-12-10T12:00:00Z'))).toBe('2026-12-24');
    expect(dueForSend('2026-12-10', new Date('2026-12-10T22:59:58Z'))).toBe('2026-12-10');
    expect(dueForSend('2026-12-10', new Date('2026-12-10T23:30:00Z'))).toBe('2026-12-11');
    expect(dueForSend('2026-12-10', new Date('2026-12-11T00:00:30Z'))).toBe('2026-12-12');
    expect(dueForSend('2020-01-31', new Date('2026-12-10T12:00:00Z'))).toBe('2026-12-11');
  });

  it('keeps a day to sign for a provider that counts whole days from the send (Signicat): under a day left, the next day', () => {
    const day = 24 * 3_600_000;
    expect(dueForSend('2026-12-11', new Date('2026-12-10T23:59:59Z'), day)).toBe('2026-12-11');
    expect(dueForSend('2026-12-10', new Date('2026-12-10T05:00:00Z'), day)).toBe('2026-12-11');
    expect(dueForSend('2026-12-11', new Date('2026-12-11T00:00:00Z'), day)).toBe('2026-12-12');
  });
});
