// Finds the request language's `Keyword: value` lines (Signer, Signer 2, Due, Record) in a
// body. Forgiving about what mail clients put around them: leading spaces, bullets (Outlook's
// nested `o` and `§` too), list numbers, bold markers from HTML (`*Signer:*`), a full-width colon, quoting `>`, invisible
// characters, a full stop at the end.
// Quoted lines count only when the mail has no unquoted ones for that keyword: a reply that
// quotes an earlier request must not sign everyone twice, a forward of one still works. A
// line is quoted when it starts with `>`, or is quoted or forwarded text below the header a
// mail client puts above it ("On … wrote:", "---------- Forwarded message ---------",
// Outlook's "From: … / Sent: …" block, in the languages clients write them: quote-headers.ts),
// or is in the writer's signature (below "-- "): the forwarded text is someone else's, and
// its `Signer:` lines must not join the ones the requester wrote.

import { readBody } from '../message/quote-headers.ts';

export interface Directive {
  /** `Signer 2:` → 2; null when unnumbered. */
  number: number | null;
  value: string;
  /** The line as written, trimmed, for messages that name it. */
  line: string;
  quoted: boolean;
  /**
   * The next line when it is of the same kind and no directive: where a client that wraps
   * long lines (Gmail's text part, at 78 characters) put the rest of the value.
   */
  next?: string;
}

const LEAD = String.raw`^(?<lead>[\s>]*)(?:(?:[-*•·–—◦▪§]|o(?=\s)|\d{1,2}[.)])\s*)?`;
/**
 * How much of a value is read. No signer, date or record needs more, and the patterns that
 * read values (trailing separators, a phone number after an address) are not linear on a
 * line of tens of thousands of characters: a longer value is cut, and marked so that it
 * parses as nothing and is refused, quoted.
 */
const MAX_VALUE = 500;
/** Ends a value cut at MAX_VALUE: no signer, date or record reads with it (an address that is no address). */
const CUT_VALUE = ' <…>';
const PREFIX = `${LEAD}[*_]?`;
const LEAD_RE = new RegExp(LEAD);
const cut = (line: string) => (line.length > MAX_VALUE ? `${line.slice(0, MAX_VALUE)} …` : line);
/** The line as written, without what a client put before it, for messages that quote it. */
const written = (line: string) => cut(line.replace(LEAD_RE, '').trim());

/** `keyword` is a regular-expression source, e.g. `due(?:\s+date)?` for "Due:" and "Due date:". */
export function findDirectives(text: string, keyword: string): Directive[] {
  const re = new RegExp(`${PREFIX}(?:${keyword})(?:\\s*(?<n>\\d{1,3}))?[*_]?\\s*[:：]\\s*[*_]?\\s*(?<value>.*)$`, 'i');
  const found: Directive[] = [];
  const body = readBody(text);
  const { plain, kinds } = body;
  const at: number[] = [];
  for (const [i, line] of plain.entries()) {
    const m = re.exec(line);
    if (!m?.groups) continue;
    at.push(i);
    const value = m.groups['value'] ?? '';
    const after = i + 1 < plain.length && kinds[i + 1] === kinds[i] ? plain[i + 1]! : '';
    found.push({
      number: m.groups['n'] === undefined ? null : Number(m.groups['n']),
      value: value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}${CUT_VALUE}` : cleanValue(value),
      line: written(line),
      quoted: kinds[i] !== 'own' || (m.groups['lead'] ?? '').includes('>'),
      ...(after !== '' && after.length <= MAX_VALUE && !re.test(after) ? { next: cleanValue(after) } : {}),
    });
  }
  const unquoted = found.filter((d) => !d.quoted);
  if (unquoted.length > 0 || found.length === 0) return unquoted;
  // Only quoted text names it: the mail that was forwarded or quoted, not an older one in its
  // thread (a signer withdrawn further down must not sign): the first quoted mail that names
  // it, and in it the least quoted lines.
  const levelOf = body.levels();
  const levels = at.map((i) => levelOf[i]!);
  let first = levels[0]!;
  for (const level of levels) {
    if (level.section < first.section || (level.section === first.section && level.marks < first.marks)) first = level;
  }
  return found.filter((_d, n) => levels[n]!.section === first.section && levels[n]!.marks === first.marks);
}

/** A line of the writer's that starts like the keyword's but is not in its `Keyword: value` form. */
export interface NearMiss {
  /** The line as written, trimmed. */
  line: string;
  /** What follows `Signer 1 -`, `Signer #1:`, `Signers:`; empty for the word alone. */
  value: string;
  /** `Signers`, not `Signer`. */
  plural: boolean;
}

/**
 * The writer's own lines that start with the keyword, or its plural, followed by a separator
 * or nothing — `Signer 1 - Ann <a@x>`, `Signer #1: …`, `Signers: a@x, b@y`, `Signers` — but
 * are not `Keyword: value` lines; and, with `labels`, lines `Label: value` whose label has a
 * word the pattern knows (`Unterzeichner 1:`, `Signatory:`, `1st signer:`, `Signer name:`).
 * The caller decides which of them meant to name something (parse-signers.ts). Prose that
 * starts with the word ("Signers will get a mail from …") is not one: the word must be
 * followed by a separator or end the line.
 */
export function nearMisses(text: string, keyword: string, labels?: RegExp): NearMiss[] {
  const directive = new RegExp(`${PREFIX}(?:${keyword})(?:\\s*\\d{1,3})?[*_]?\\s*[:：]`, 'i');
  const start = new RegExp(`${PREFIX}(?:${keyword})(?<plural>s?)(?<rest>.*)$`, 'i');
  const { plain, kinds } = readBody(text);
  const found: NearMiss[] = [];
  for (const [i, line] of plain.entries()) {
    if (kinds[i] !== 'own' || line.startsWith('>') || directive.test(line)) continue;
    const m = start.exec(line)?.groups;
    const value = m && valueAfterNumber(m['rest']!);
    if (value !== undefined) {
      found.push({ line: written(line), value: cleanValue(value.slice(0, MAX_VALUE)), plural: m!['plural'] !== '' });
      continue;
    }
    const labelled = labels && LABELLED.exec(line.replace(LEAD_RE, ''))?.groups;
    if (labelled && labels.test(plainLetters(labelled['label']!))) found.push({ line: written(line), value: cleanValue(labelled['value']!.trim().slice(0, MAX_VALUE)), plural: false });
  }
  return found;
}

/**
 * The writer's own lines (not quoted, forwarded or in the signature), without what a client
 * put before them: for near misses a keyword's pattern cannot describe (parse-due.ts).
 */
export function ownLines(text: string): string[] {
  const { plain, kinds } = readBody(text);
  return plain.filter((line, i) => kinds[i] === 'own' && !line.startsWith('>')).map(written);
}

/** `Label: value` with a short label (a colon of any width: `:`, `：`, `﹕`). */
const LABELLED = /^(?<label>[^:：﹕@<>]{1,40})[:：﹕](?<value>.*)$/;

/** Letters without their marks, compatibility forms folded: `SİGNER` reads as SIGNER. */
function plainLetters(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '');
}

/**
 * What follows `#1 -`, `2.`, `=` or nothing after the keyword, or undefined when something
 * else does (a word: prose). Taken apart step by step: one pattern with a space run between
 * each optional part backtracked cubically on a line of spaces.
 */
function valueAfterNumber(rest: string): string | undefined {
  const numbered = rest.trimStart().replace(/^#?\s*/, '');
  const afterNumber = numbered.replace(/^\d{1,3}/, '');
  const tail = afterNumber.replace(/^[*_]/, '').trimStart();
  if (tail === '') return '';
  if (/^[-–—=:：.)]/.test(tail)) return tail.slice(1).trim();
  // `Signer 2 Bob Stone <b@x>`: a number, then the value without a separator.
  return afterNumber !== numbered && /^\s/.test(afterNumber) ? tail : undefined;
}

/** The mark a mail client puts before a name it links to a contact (Outlook's @mention, Gmail's +mention), at the start of a value. */
const MENTION = /^[@+](?=\p{L})/u;
/** Full-width brackets and at sign, as a Japanese or Chinese input method writes them: `Ann Lee ＜ann@x＞`. */
const FULL_WIDTH_ADDRESS_MARKS = /[＜＞＠]/g;

/**
 * Removes what mail clients add to addresses: Outlook's text part writes an auto-linked
 * address as `ann@x.example<mailto:ann@x.example>`, HTML-to-text converters as
 * `ann@x.example [mailto:ann@x.example]`; bold/italic markers and trailing separators and
 * full stops go too (`Due: 2026-12-24.`, `Signer: ann@x.example.`). A mailto that is the
 * only address on the line (`Ann Lee <mailto:ann@x.example>`) keeps its address. An
 * Outlook/OWA @mention (`@Ann Lee<mailto:ann@x.example>`) or a Gmail +mention is a name: its
 * mark goes, and an `@` is not taken for an address elsewhere on the line. Full-width `＜＞＠`
 * are read as `<>@`, as the full-width colon is.
 */
function cleanValue(value: string): string {
  const elsewhere = (link: string, offset: number, all: string) => `${all.slice(0, offset)}${all.slice(offset + link.length)}`.includes('@');
  return value
    .replace(FULL_WIDTH_ADDRESS_MARKS, (mark) => mark.normalize('NFKC'))
    .replace(MENTION, '')
    .replace(/<mailto:[^<>]*>/gi, (link: string, offset: number, all: string) => (elsewhere(link, offset, all) ? '' : link.replace(/^<mailto:/i, '<')))
    .replace(/\s*\[mailto:[^\]]*\]/gi, '')
    .replace(/[\s\u00a0]+/g, ' ')
    .replace(/[*_]+$/, '')
    .replace(/[\s,;.]+$/, '')
    .trim();
}
