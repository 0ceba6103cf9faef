// A display line in the order it is seen, for a page laid out left to right: fontkit (under
// pdf-lib) takes a whole string's direction from its first strong character and reverses
// the entire glyph run when that is right-to-left — so `חוזה עבודה RITM0010001` was drawn
// with the record number mirrored (1000100MTIR), and `Offer – הצעה` with its Hebrew backwards
// (names review M3). This is the part of the Unicode bidirectional algorithm (UAX #9) a line
// of a left-to-right paragraph needs: right-to-left letters, digits after them and the
// neutrals between them form right-to-left runs; each line is cut into units drawn one after
// the other. Pure.

/** Scripts written right to left. */
const RTL_SCRIPT = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}]/u;

/**
 * A piece of the line, left to right on the page. `rtl`: its text is in reading order and
 * holds right-to-left letters, which the font's layout puts right to left; otherwise the text
 * is drawn as it is.
 */
export interface DrawUnit {
  text: string;
  rtl: boolean;
}

type Kind = 'L' | 'R' | 'D' | 'N';

function kindOf(ch: string): Kind {
  if (/\p{Nd}/u.test(ch)) return 'D';
  if (/\p{L}/u.test(ch)) return RTL_SCRIPT.test(ch) ? 'R' : 'L';
  return 'N';
}

/** Whether the line has anything written right to left (else it is one unit, as it is). */
export function hasRightToLeft(text: string): boolean {
  return RTL_SCRIPT.test(text);
}

export function visualUnits(text: string): DrawUnit[] {
  if (!hasRightToLeft(text)) return text === '' ? [] : [{ text, rtl: false }];
  const chars = Array.from(text);
  // A mark (an accent, Hebrew points, Arabic harakat) goes with the letter before it.
  const kinds: Kind[] = [];
  for (const ch of chars) kinds.push(/\p{M}/u.test(ch) && kinds.length > 0 ? kinds.at(-1)! : kindOf(ch));
  // Levels: 0 left to right, 1 right to left, 2 digits inside right-to-left text (read left to right there); -1 not yet known.
  let strong: 'L' | 'R' = 'L';
  const levels = kinds.map((kind) => {
    if (kind === 'L' || kind === 'R') strong = kind;
    return kind === 'L' ? 0 : kind === 'R' ? 1 : kind === 'D' ? (strong === 'R' ? 2 : 0) : -1;
  });
  pairBrackets(chars, kinds, levels);
  // A neutral between two right-to-left sides is right to left; anywhere else it takes the line's direction.
  const resolved = levels.map((level, i) => {
    if (level >= 0) return level;
    const before = levels.slice(0, i).findLast((l) => l >= 0) ?? 0;
    const after = levels.slice(i + 1).find((l) => l >= 0) ?? 0;
    return before >= 1 && after >= 1 ? 1 : 0;
  });
  const units: DrawUnit[] = [];
  let i = 0;
  while (i < chars.length) {
    let end = i;
    if (resolved[i] === 0) {
      while (end < chars.length && resolved[end] === 0) end++;
      units.push({ text: chars.slice(i, end).join(''), rtl: false });
    } else {
      while (end < chars.length && resolved[end]! >= 1) end++;
      units.push(...rightToLeftRun(chars.slice(i, end), resolved.slice(i, end)));
    }
    i = end;
  }
  return units;
}

const OPENING: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const MIRRORED: Record<string, string> = { '(': ')', ')': '(', '[': ']', ']': '[', '{': '}', '}': '{', '<': '>', '>': '<', '«': '»', '»': '«', '‹': '›', '›': '‹' };

/**
 * A pair of brackets takes one direction (UAX #9 rule N0): left to right when it holds a
 * left-to-right letter; right to left when it holds only right-to-left text (digits count)
 * and right-to-left text comes before it — `הצעה (עותק 3)` keeps its brackets round the copy's number.
 */
function pairBrackets(chars: string[], kinds: Kind[], levels: number[]): void {
  const open: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (OPENING[chars[i]!] !== undefined) open.push(i);
    else {
      const at = open.findLastIndex((o) => OPENING[chars[o]!] === chars[i]);
      if (at < 0) continue;
      const from = open[at]!;
      open.length = at;
      const inside = kinds.slice(from + 1, i);
      let level: number | undefined;
      if (inside.includes('L')) level = 0;
      else if (inside.includes('R') || inside.some((kind, k) => kind === 'D' && levels[from + 1 + k] === 2)) {
        const before = levels.slice(0, from).findLast((l) => l >= 0) ?? 0;
        level = before >= 1 ? 1 : 0;
      }
      if (level !== undefined) levels[from] = levels[i] = level;
    }
  }
}

/** A right-to-left run, left to right on the page: its pieces in reverse order, digits kept in theirs, brackets turned (rule L4). */
function rightToLeftRun(chars: string[], levels: number[]): DrawUnit[] {
  const pieces: DrawUnit[] = [];
  let i = 0;
  while (i < chars.length) {
    let end = i;
    while (end < chars.length && levels[end] === levels[i]) end++;
    const piece = chars.slice(i, end);
    if (levels[i] === 2) {
      pieces.push({ text: piece.join(''), rtl: false });
      i = end;
      continue;
    }
    for (let k = 0; k < piece.length; k++) piece[k] = MIRRORED[piece[k]!] ?? piece[k]!;
    // Neutrals alone (a space, a dash between two right-to-left words) are turned here; letters by the font.
    pieces.push(hasRightToLeft(piece.join('')) ? { text: piece.join(''), rtl: true } : { text: piece.reverse().join(''), rtl: false });
    i = end;
  }
  return pieces.reverse();
}
