// The font signrelay stamps with when a text needs more than Latin-1: DejaVu Sans (from the
// dejavu-fonts-ttf package), which prints Latin with diacritics, Greek and Cyrillic and
// extracts correctly (pdf-lib's standard fonts are WinAnsi-only). Its own file because the
// font's coverage is part of the tag-name rule (tag-name.ts): `nameInTags` answers which
// name a stamped tag carries, with the same coverage the stamping uses. Pure apart from
// reading the font file once; the coverage comes from the font's cmap (font-coverage.ts),
// so the daemon answers without loading a font library — embedding (embed-fonts.ts) runs
// in the PDF worker.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { PDFFont } from 'pdf-lib';
import type { Signer } from '../signer.ts';
import { fontCoverage } from './font-coverage.ts';
import { tagNameFor, type TagName } from './tag-name.ts';

const resolve = createRequire(import.meta.url).resolve;
export const TAG_FONT_PATHS = Object.freeze({
  regular: resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
});

let coverage: Set<number> | undefined;

/** Whether DejaVu Sans has a glyph for this code point (a tag-name.ts CanDraw). */
export function tagFontCanDraw(codePoint: number): boolean {
  coverage ??= fontCoverage(readFileSync(TAG_FONT_PATHS.regular));
  return coverage.has(codePoint);
}

/** The name the stamped tags use for a signer (see tag-name.ts for the rules). */
export function nameInTags(signer: Signer): TagName {
  return tagNameFor(signer, tagFontCanDraw);
}

/** The fonts a stamp draws with: DejaVu Sans, or Helvetica when every text is Latin-1 (embed-fonts.ts). */
export interface TagFonts {
  regular: PDFFont;
  bold: PDFFont;
}

/** Text for display lines (not tags): characters the font lacks become "?". */
export function printable(text: string): string {
  return Array.from(text.normalize('NFC').replace(/[\p{C}\s]/gu, ' '))
    .map((ch) => (ch === ' ' || tagFontCanDraw(ch.codePointAt(0)!) ? ch : '?'))
    .join('');
}
