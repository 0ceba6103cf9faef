// The font signrelay stamps with: DejaVu Sans (from the dejavu-fonts-ttf package), embedded
// as a subset so Latin with diacritics, Greek and Cyrillic print and extract correctly
// (pdf-lib's standard fonts are WinAnsi-only). Its own file because the font's coverage is
// part of the tag-name rule (tag-name.ts): `nameInTags` answers which name a stamped tag
// carries, with the same coverage the stamping uses.
import fontkit from '@pdf-lib/fontkit';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { PDFDocument, PDFFont } from 'pdf-lib';
import type { Signer } from '../signer.ts';
import { tagNameFor, type TagName } from './tag-name.ts';

const resolve = createRequire(import.meta.url).resolve;
const REGULAR_PATH = resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const BOLD_PATH = resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

// Ligatures would turn "fi" into one glyph; kept off so every character is its own glyph
// with its own ToUnicode entry, and extracted text equals the text drawn.
const NO_LIGATURES = { liga: false, clig: false, dlig: false, calt: false, hlig: false };

let regularBytes: Uint8Array | undefined;
let boldBytes: Uint8Array | undefined;
let coverage: Set<number> | undefined;

function regular(): Uint8Array {
  regularBytes ??= readFileSync(REGULAR_PATH);
  return regularBytes;
}

/** Whether DejaVu Sans has a glyph for this code point (a tag-name.ts CanDraw). */
export function tagFontCanDraw(codePoint: number): boolean {
  coverage ??= new Set(fontkit.create(regular()).characterSet);
  return coverage.has(codePoint);
}

/** The name the stamped tags use for a signer (see tag-name.ts for the rules). */
export function nameInTags(signer: Signer): TagName {
  return tagNameFor(signer, tagFontCanDraw);
}

export interface TagFonts {
  regular: PDFFont;
  bold: PDFFont;
}

export async function embedTagFonts(doc: PDFDocument): Promise<TagFonts> {
  boldBytes ??= readFileSync(BOLD_PATH);
  doc.registerFontkit(fontkit);
  const options = { subset: true, features: NO_LIGATURES };
  return {
    regular: await doc.embedFont(regular(), options),
    bold: await doc.embedFont(boldBytes, options),
  };
}

/** Text for display lines (not tags): characters the font lacks become "?". */
export function printable(text: string): string {
  return Array.from(text.normalize('NFC').replace(/[\p{C}\s]/gu, ' '))
    .map((ch) => (ch === ' ' || tagFontCanDraw(ch.codePointAt(0)!) ? ch : '?'))
    .join('');
}
