// Outside text made safe to write to a ServiceNow record — pure. A value someone else
// chose (a provider's decline reason, a signer's name or address, a request's subject or
// file name, an operator's cancel reason) is put into our own notes as ONE inert, bounded
// line:
// - `[` `]` `<` `>` become parentheses: ServiceNow renders `[code]…[/code]` in a journal
//   entry as HTML where glide.ui.security.allow_codetag is on (a decline reason carrying
//   `[code]<img src=x onerror=…>[/code]` ran script in the record's activity stream), and
//   stores mentions as `@[sys_id:name]`. Any case, any spaces inside the brackets: none
//   survive.
// - an `@` that starts a word becomes `(at)`: a mention. An `@` inside a word — an email
//   address — stays readable.
// - line breaks of every kind (CR, LF, NEL, U+2028/2029, VT, FF), other control and
//   direction-override characters collapse to one space: a value cannot start a line of its
//   own ("Signed by CEO") or add blank lines.
// - a ServiceNow watermark (`Ref:MSG…`) loses its colon (`Ref MSG…`): the instance files an
//   inbound mail by the last watermark in it, so a signer named "Ref:MSG0000008_…" put in
//   the mail that delivers the signed document (delivery: email) would have it filed on
//   whichever record that watermark belongs to.
// - a link is made inert (`https://x` → `https(:)//x`, `www.x` → `www(.)x`): the instance and
//   every mail client turn a URL into a link, and a notice or note from signrelay must not
//   carry an outsider's (a decline reason's "sign the corrected copy at https://…") as one.
//   Names that are no links — a file's, an address — keep theirs (recordName).
// - the length is bounded (with an ellipsis): a 5,000-character reason does not become a
//   5,000-character note.
// Our own template text around the values keeps its structure; only the values pass here.
import { cut, defuseLinks, oneLine } from '../outside-text.ts';

/** The longest an outside value may be in a note (an ellipsis included). */
export const MAX_RECORD_VALUE_CHARS = 200;
/** A reason (decline, cancel) says more than a name, and is worth the room. */
export const MAX_RECORD_REASON_CHARS = 500;

const BRACKETS: Record<string, string> = { '[': '(', ']': ')', '<': '(', '>': ')' };
// An @ not preceded by a character that can stand before it in an address's local part.
const WORD_INITIAL_AT = /(?<![\p{L}\p{N}._%+-])@/gu;
// `Ref:` — the start of a watermark, whatever its prefix (`MSG` by default; an instance may
// set its own, `Ref:ACME0000042_…`) — in any case, with any spaces around the colon.
const WATERMARK_COLON = /(ref)\s*[:：]\s*/giu;

/** One inert line of at most `maxChars` characters (code points), for a note on a record or a mail: links made inert too. */
export function recordValue(text: string | null | undefined, maxChars = MAX_RECORD_VALUE_CHARS): string {
  return recordName(defuseLinks(text ?? ''), maxChars);
}

/**
 * As recordValue, with its dots and colons as they are: for an attachment's own name, which
 * no client takes for a link. A file's name quoted in prose (a note, a notice) is a
 * recordValue: `Pay at www.evil.example.pdf` reads as a link there (variants review L3).
 */
export function recordName(text: string | null | undefined, maxChars = MAX_RECORD_VALUE_CHARS): string {
  const inert = oneLine((text ?? '').normalize('NFC'))
    .replace(/[[\]<>]/g, (bracket) => BRACKETS[bracket]!)
    .replace(WORD_INITIAL_AT, '(at)')
    .replace(WATERMARK_COLON, '$1 ');
  return cut(inert, maxChars);
}

// Every quotation mark a value could close our quotes with, or open one that reads as ours:
// straight, curly, low, guillemets, CJK, full-width.
const QUOTE_MARKS = /["\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u301d\u301e\u301f\uff02]/g;

/**
 * Outside words quoted as someone else's: “…” around the inert value, every quotation mark in
 * it made an apostrophe — a decline reason cannot close the quote and go on in signrelay's
 * voice ("…”. Declined by Bob Ray") (audit review L1).
 */
export function recordQuote(text: string | null | undefined, maxChars = MAX_RECORD_VALUE_CHARS): string {
  return `\u201c${recordValue(text, maxChars).replace(QUOTE_MARKS, "'")}\u201d`;
}

/** "Ann Lee <ann.lee@example.com>": the name and address inert, the brackets ours. */
export function recordPerson(person: { firstName: string; lastName: string; email: string }): string {
  const name = recordValue(`${person.firstName} ${person.lastName}`);
  const email = recordName(person.email);
  return name ? `${name} <${email}>` : email;
}

/** The longest list of people a note names; the rest are counted. */
export const MAX_RECORD_PEOPLE = 20;

/** "Ann Lee <…>, Bob Stone <…>" — at most MAX_RECORD_PEOPLE, then "and N more". */
export function recordPeople(people: ReadonlyArray<{ firstName: string; lastName: string; email: string }>): string {
  const named = people.slice(0, MAX_RECORD_PEOPLE).map(recordPerson).join(', ');
  const more = people.length - MAX_RECORD_PEOPLE;
  return more > 0 ? `${named} and ${more} more` : named;
}
