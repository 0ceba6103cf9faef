// Embedding the stamp's fonts into a document (PDF worker side). Helvetica when every text
// drawn is Latin-1 (WinAnsi): a standard font costs nothing to embed and any reader has it.
// DejaVu Sans (tag-font.ts) otherwise, as a subset, with fontkit loaded only then: parsing
// and subsetting it is most of what stamping a short document used to cost.
import { readFileSync } from 'node:fs';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { TAG_FONT_PATHS, type TagFonts } from './tag-font.ts';

export type FontChoice = 'standard' | 'unicode';

// Ligatures would turn "fi" into one glyph; kept off so every character is its own glyph
// with its own ToUnicode entry, and extracted text equals the text drawn.
const NO_LIGATURES = { liga: false, clig: false, dlig: false, calt: false, hlig: false };

let unicodeFonts: Promise<{ fontkit: unknown; regular: Uint8Array; bold: Uint8Array }> | undefined;

export async function embedTagFonts(doc: PDFDocument, choice: FontChoice = 'unicode'): Promise<TagFonts> {
  if (choice === 'standard') {
    return { regular: await doc.embedFont(StandardFonts.Helvetica), bold: await doc.embedFont(StandardFonts.HelveticaBold) };
  }
  unicodeFonts ??= import('@pdf-lib/fontkit').then((module) => ({
    fontkit: module.default,
    regular: readFileSync(TAG_FONT_PATHS.regular),
    bold: readFileSync(TAG_FONT_PATHS.bold),
  })).catch((err: unknown) => {
    // A failed read (too many open files, say) is tried again by the next stamp, not kept.
    unicodeFonts = undefined;
    throw err;
  });
  const { fontkit, regular, bold } = await unicodeFonts;
  doc.registerFontkit(fontkit as Parameters<PDFDocument['registerFontkit']>[0]);
  const options = { subset: true, features: NO_LIGATURES };
  return { regular: await doc.embedFont(regular, options), bold: await doc.embedFont(bold, options) };
}

let standardCharacters: Promise<Set<number>> | undefined;

/** Helvetica when it can draw every one of these texts, else the Unicode font. */
export async function fontFor(texts: readonly string[]): Promise<FontChoice> {
  standardCharacters ??= PDFDocument.create()
    .then((doc) => doc.embedFont(StandardFonts.Helvetica))
    .then((font) => new Set(font.getCharacterSet()));
  const drawable = await standardCharacters;
  return texts.every((text) => Array.from(text).every((ch) => drawable.has(ch.codePointAt(0)!))) ? 'standard' : 'unicode';
}
