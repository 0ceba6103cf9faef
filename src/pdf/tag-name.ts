// The name a signer gets inside a smart tag. Pure: the caller says which characters the
// stamping font can draw. Its own file because the rules below decide what the signing
// service reads back, and the lead passes the real names to the provider's Send call, so
// both sides must be able to ask "which name did the tag use?".
//
// Rules, in order:
// 1. Each name part is NFKC-normalised (fullwidth "Ｔａｒｏ" → "Taro", "ﬁ" → "fi").
// 2. Characters that would break the tag syntax `[!Sign.N,First,Last,email]` — `,` `[`
//    `]` `!` — and every control, format (zero-width, bidi override), private-use or
//    unassigned character and any whitespace become a space; runs of spaces collapse to
//    one; the part is trimmed and cut to MAX_NAME_PART_LENGTH characters.
// 3. A name is kept only if every character is in the Latin, Greek or Cyrillic script (or
//    script-neutral: digits, punctuation, combining marks) AND the font can draw it.
//    Other scripts (CJK, Arabic, Hebrew, Thai…) are not kept: the font has no glyphs for
//    some and pdf-lib does no shaping or right-to-left ordering for the others, so the text
//    layer the provider reads would be wrong. Then the WHOLE name (both parts) is derived
//    from the email local part: `taro.yamada@` → Taro / Yamada.
// 4. An empty part becomes EMPTY_NAME_PART ("-"); a name with both parts empty is derived
//    from the local part as in 3; a local part giving nothing usable gives "Signer" / "-".
import type { Signer } from '../signer.ts';

export interface TagName {
  firstName: string;
  lastName: string;
  /** True when the name came from the email address instead of the given name. */
  derivedFromEmail: boolean;
}

/** Whether the stamping font can draw a code point (see tag-font.ts). */
export type CanDraw = (codePoint: number) => boolean;

export const MAX_NAME_PART_LENGTH = 64;
export const EMPTY_NAME_PART = '-';
const NO_NAME_FIRST = 'Signer';

// `\p{C}`: control, format, surrogate, private use, unassigned; `\s`/`\p{Z}`: any space.
const BREAKING_RE = /[,[\]!\p{C}\s\p{Z}]/gu;
const TAG_SCRIPT_RE = /^[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}\p{Script=Inherited}]$/u;

/** The script part of rule 3, without a font: usable as a conservative CanDraw. */
export function isTagScriptCodePoint(codePoint: number): boolean {
  return TAG_SCRIPT_RE.test(String.fromCodePoint(codePoint));
}

/** Rules 1 and 2 for one name part. */
export function sanitiseNamePart(text: string): string {
  const spaced = text.normalize('NFKC').replace(BREAKING_RE, ' ').replace(/ {2,}/g, ' ').trim();
  return Array.from(spaced).slice(0, MAX_NAME_PART_LENGTH).join('').trim();
}

function drawable(text: string, canDraw: CanDraw): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (!isTagScriptCodePoint(cp) || !canDraw(cp)) return false;
  }
  return true;
}

function capitalise(word: string): string {
  const [first = '', ...rest] = Array.from(word);
  return first.toUpperCase() + rest.join('');
}

/** Rule 3's fallback: words of the local part (sub-address dropped) as First… Last. */
export function nameFromEmail(email: string, canDraw: CanDraw): TagName {
  const at = email.lastIndexOf('@');
  const local = (at >= 0 ? email.slice(0, at) : email).split('+')[0]!;
  const words = local
    .split(/[._-]+/)
    .map((w) => Array.from(sanitiseNamePart(w)).filter((ch) => drawable(ch, canDraw)).join('').replace(/ /g, ''))
    .filter((w) => w !== '')
    .map(capitalise);
  if (words.length === 0) return { firstName: NO_NAME_FIRST, lastName: EMPTY_NAME_PART, derivedFromEmail: true };
  if (words.length === 1) return { firstName: words[0]!, lastName: EMPTY_NAME_PART, derivedFromEmail: true };
  return { firstName: words.slice(0, -1).join(' '), lastName: words.at(-1)!, derivedFromEmail: true };
}

/** The name the tags use for this signer (rules 1–4). */
export function tagNameFor(signer: Signer, canDraw: CanDraw = isTagScriptCodePoint): TagName {
  const firstName = sanitiseNamePart(signer.firstName);
  const lastName = sanitiseNamePart(signer.lastName);
  if ((firstName === '' && lastName === '') || !drawable(firstName + lastName, canDraw)) {
    return nameFromEmail(signer.email, canDraw);
  }
  return {
    firstName: firstName || EMPTY_NAME_PART,
    lastName: lastName || EMPTY_NAME_PART,
    derivedFromEmail: false,
  };
}
