// Every piece of text in a document that a signing service could take for a smart tag,
// found as leniently as any reader might: after NFKC (fullwidth `［！` is `[!`), with
// invisible format and other ignorable characters dropped, combining marks on `[` and `!` passed over, `[` and `!` apart by spaces or a line break, the
// family name in any case and even spread over lines. Pure: the text comes from
// extract-text.ts.
//
// Two uses, one scanner, so they cannot disagree: inspection lists the tags a received PDF
// already carries (its own signers, or tags that must never be sent), and stamping checks
// that the stamped PDF holds exactly the tags signrelay wrote (stamp-pdf.ts).
//
// A tag is what a service could act on: a sign or recipient tag however written, any other
// family with what a tag carries — a qualifier (`[!Witness.1]`, `[!Date.1.dd/MM/yyyy]`) or
// fields right after it (`[!F2F,…]`), an address anywhere — and anything not closed within
// reach (its rest unread).
// Judged as a reader that drops diacritics reads it (`[!Re̶cipient…` is a recipient tag). Only
// closed text with none of that is text: LaTeX's `[!htbp]`, a shell's `[!yY]`, Markdown's
// `[!NOTE]`, PostScript's `[!gsave newpath(20,7) …]` (35 of 242 real-world manuals were
// refused for them). It names no signer and no address, so it can redirect nothing.
import type { Signer } from '../signer.ts';

export interface FoundTag {
  /** The family, lower case, spaces removed: `sign`, `recipient`, … (`[!NOTE]` → `note`). */
  family: string;
  /** The tag as a reader would take it: spaces around `[ ! . , ]` and line breaks removed. */
  text: string;
}

export interface OwnSigner extends Signer {
  /** N of `[!Sign.N,…]`. */
  order: number;
}

/** How far a tag may run before its `]`: an unterminated `[!` is still reported, cut here. */
const MAX_TAG_CHARS = 300;
// Invisible format characters, and the other characters a reader may ignore (the combining
// grapheme joiner, variation selectors, Hangul fillers): `[!\u034FRecipient` is `[!Recipient`.
const FORMAT_CHARS_RE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
// A combining mark on the `[` or the `!` (which NFKC cannot compose away) is one a reader
// that drops diacritics drops too.
const TAG_START_RE = /\[[\s\p{M}]*![\s\p{M}]*(?=\p{L})/gu;
const FAMILY_RE = /^\[!((?:\p{L}\s*)+)/u;
/** After the family, a qualifier (`.1`, `.C`) or its fields (`,`): what a tag has and a bracketed word or code does not. */
const QUALIFIED_RE = /^\[!\p{L}[\p{L}\p{N}\s]*[.,]/u;
const SIGN_RE = /^\[!sign\.(\d{1,3})(?:\.[a-z0-9]+)?,([^,\]]*),([^,\]]*),([^,\]]+)\]$/i;

// Control characters a PDF's font can map a glyph to, which pdf.js and pdftotext keep but
// another reader may drop (`[`, U+001F, `!Recipient…` is a tag to it)…
const DROPPED_CONTROLS_RE = /[\u0000-\u0008\u000b\u000e-\u001b\u007f-\u0084\u0086-\u009f\p{Co}\p{Noncharacter_Code_Point}]/gu;
// …or take for a space (Python's and Java's whitespace includes these).
const SPACE_CONTROLS_RE = /[\u001c-\u001f\u0085]/g;

/** The text a tag scanner sees: what a reader would see once normalised. */
export function tagScanText(text: string): string {
  return text.normalize('NFKC').replace(FORMAT_CHARS_RE, '').replace(DROPPED_CONTROLS_RE, '').replace(SPACE_CONTROLS_RE, ' ');
}

/** Every tag-like sequence, in document order. */
export function findTags(text: string): FoundTag[] {
  const scan = tagScanText(text);
  const tags: FoundTag[] = [];
  for (const start of scan.matchAll(TAG_START_RE)) {
    const from = start.index;
    const close = scan.indexOf(']', from);
    const closed = close >= 0 && close - from < MAX_TAG_CHARS;
    const raw = closed ? scan.slice(from, close + 1) : scan.slice(from, from + MAX_TAG_CHARS);
    const text = normaliseTag(raw);
    // As a reader that drops diacritics reads it: accents taken apart from their letters and
    // dropped before the spaces around the separators are (`[!Sígn`, `[!Date.̶ 1]`).
    const plain = normaliseTag(raw.normalize('NFKD').replace(/\p{M}/gu, ''));
    const family = FAMILY_RE.exec(plain)?.[1]?.replace(/\s+/g, '').toLowerCase() ?? '';
    if (!closed || isTag(family, plain)) tags.push({ family, text });
  }
  return tags;
}

/** Whether a closed tag-like sequence is one a service could act on, or a bare bracketed word (see the top of this file). */
function isTag(family: string, text: string): boolean {
  return family === 'sign' || family === 'recipient' || text.includes('@') || QUALIFIED_RE.test(text);
}

/** `[ ! Sign . 1 , Ann , Lee ,\n a@b ]` → `[!Sign.1,Ann,Lee,a@b]`; spaces inside a name stay. */
function normaliseTag(raw: string): string {
  return raw.replace(/([[!])[\s\p{M}]*\p{M}/gu, '$1').replace(/\s+/g, ' ').replace(/ ?([[\]!.,]) ?/g, '$1').trim();
}

/** A sign tag's signer, or undefined when it is not a well-formed `[!Sign.N,First,Last,email]`. */
export function signTagSigner(tag: FoundTag): OwnSigner | undefined {
  if (tag.family !== 'sign') return undefined;
  const match = SIGN_RE.exec(tag.text);
  if (!match) return undefined;
  const [, order, firstName, lastName, email] = match as unknown as [string, string, string, string, string];
  return { order: Number(order), firstName: firstName.trim(), lastName: lastName.trim(), email: email.trim() };
}

/** The signers a document's own sign tags name, in signing order, each order once. */
export function ownSigners(tags: readonly FoundTag[]): OwnSigner[] {
  const byOrder = new Map<number, OwnSigner>();
  for (const tag of tags) {
    const signer = signTagSigner(tag);
    if (signer && !byOrder.has(signer.order)) byOrder.set(signer.order, signer);
  }
  return [...byOrder.values()].sort((a, b) => a.order - b.order);
}

/**
 * Whether two lists hold the same tags, as many times each (order aside: a text layer's
 * order depends on where things are drawn). Empty when they do; else what differs.
 */
export function tagDifference(found: readonly string[], expected: readonly string[]): { unexpected: string[]; missing: string[] } {
  const { left, missing } = subtractTags(found.map((text) => ({ family: '', text })), expected);
  return { unexpected: left.map((t) => t.text), missing };
}

/** The tags found once each of `remove` is taken out (as many times as it is listed), and those of `remove` that were not there. */
export function subtractTags(found: readonly FoundTag[], remove: readonly string[]): { left: FoundTag[]; missing: string[] } {
  const counts = new Map<string, number>();
  for (const text of remove) counts.set(text, (counts.get(text) ?? 0) + 1);
  const left: FoundTag[] = [];
  for (const tag of found) {
    const n = counts.get(tag.text) ?? 0;
    if (n > 0) counts.set(tag.text, n - 1);
    else left.push(tag);
  }
  const missing = [...counts.entries()].flatMap(([text, n]) => Array<string>(n).fill(text));
  return { left, missing };
}
