// Finds the request language's `Keyword: value` lines (Signer, Signer 2, Due, Record) in a
// body. Forgiving about what mail clients put around them: leading spaces, bullets, list
// numbers, bold markers from HTML (`*Signer:*`), a full-width colon, quoting `>`.
// Quoted lines count only when the mail has no unquoted ones for that keyword: a reply that
// quotes an earlier request must not sign everyone twice, a forward of one still works. A
// line is quoted when it starts with `>`, or comes after the header a mail client puts above
// a quote or an inline forward ("On … wrote:", "---------- Forwarded message ---------",
// Outlook's "From: … / Sent: …" block, in the languages clients write them: quote-headers.ts):
// the forwarded text is someone else's, and its `Signer:` lines must not join the ones the
// requester wrote.

import { quoteStart } from '../message/quote-headers.ts';

export interface Directive {
  /** `Signer 2:` → 2; null when unnumbered. */
  number: number | null;
  value: string;
  /** The line as written, trimmed, for messages that name it. */
  line: string;
  quoted: boolean;
}

const LEAD = String.raw`^(?<lead>[\s>]*)(?:(?:[-*•·–—◦▪]|\d{1,2}[.)])\s*)?`;
const PREFIX = `${LEAD}[*_]?`;

/** `keyword` is a regular-expression source, e.g. `due(?:\s+date)?` for "Due:" and "Due date:". */
export function findDirectives(text: string, keyword: string): Directive[] {
  const re = new RegExp(`${PREFIX}(?:${keyword})(?:\\s*(?<n>\\d{1,3}))?[*_]?\\s*[:：]\\s*[*_]?\\s*(?<value>.*)$`, 'i');
  const found: Directive[] = [];
  const lines = text.split(/\r?\n/);
  const quoted = quoteStart(lines);
  for (const [i, raw] of lines.entries()) {
    const belowQuoteHeader = i >= quoted;
    const m = re.exec(raw);
    if (!m?.groups) continue;
    found.push({
      number: m.groups['n'] === undefined ? null : Number(m.groups['n']),
      value: cleanValue(m.groups['value'] ?? ''),
      line: raw.replace(new RegExp(LEAD), '').trim(),
      quoted: belowQuoteHeader || (m.groups['lead'] ?? '').includes('>'),
    });
  }
  const unquoted = found.filter((d) => !d.quoted);
  return unquoted.length > 0 ? unquoted : found;
}

/**
 * Removes what mail clients add to addresses: Outlook's text part writes an auto-linked
 * address as `ann@x.example<mailto:ann@x.example>`, HTML-to-text converters as
 * `ann@x.example [mailto:ann@x.example]`; bold/italic markers and trailing separators go too.
 */
function cleanValue(value: string): string {
  return value
    .replace(/<mailto:[^<>]*>/gi, '')
    .replace(/\s*\[mailto:[^\]]*\]/gi, '')
    .replace(/[\s\u00a0]+/g, ' ')
    .replace(/[*_]+$/, '')
    .replace(/[\s,;]+$/, '')
    .trim();
}
