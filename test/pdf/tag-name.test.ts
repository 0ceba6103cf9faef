// Names in tags against the real stamping font: what DejaVu Sans can print is kept, the
// rest falls back to the address; and no ligatures reach the text layer.
import { readFileSync } from 'node:fs';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { signTag } from '../../src/pdf/build-tags.ts';
import { embedTagFonts } from '../../src/pdf/embed-fonts.ts';
import { fontCoverage } from '../../src/pdf/font-coverage.ts';
import { nameInTags, printable, TAG_FONT_PATHS, tagFontCanDraw } from '../../src/pdf/tag-font.ts';
import { nameFromEmail, sanitiseNamePart } from '../../src/pdf/tag-name.ts';

describe('sanitiseNamePart', () => {
  it.each([
    ['Ann', 'Ann'],
    ['O\'Brien-Smith', 'O\'Brien-Smith'],
    ['Jr.', 'Jr.'],
    ['a,b[c]d!e', 'a b c d e'],
    ['\u00A0Ann\u00A0', 'Ann'],
    ['Zoe\u0308', 'Zoë'],
    ['ﬁona', 'fiona'],
    ['\u0000\u0001', ''],
  ])('%j → %j', (input, expected) => {
    expect(sanitiseNamePart(input)).toBe(expected);
  });
});

describe('nameInTags (the name the stamped tags use)', () => {
  it.each([
    ['Zoë Ångström', { firstName: 'Zoë', lastName: 'Ångström' }, 'zoe@corp.example', { firstName: 'Zoë', lastName: 'Ångström', derivedFromEmail: false }],
    ['Greek', { firstName: 'Ηλέκτρα', lastName: 'Παπαδοπούλου' }, 'e.p@corp.example', { firstName: 'Ηλέκτρα', lastName: 'Παπαδοπούλου', derivedFromEmail: false }],
    ['山田 太郎', { firstName: '山田', lastName: '太郎' }, 'taro.yamada@corp.example', { firstName: 'Taro', lastName: 'Yamada', derivedFromEmail: true }],
    ['CJK with a CJK address', { firstName: '山田', lastName: '太郎' }, '山田@corp.example', { firstName: 'Signer', lastName: '-', derivedFromEmail: true }],
  ])('%s', (_name, given, email, expected) => {
    expect(nameInTags({ ...given, email })).toEqual(expected);
  });

  it('falls back to the address for a Latin letter the font lacks', () => {
    // Found, not hard-coded: the first Latin letter DejaVu Sans has no glyph for.
    let missing = 0x41;
    while (!/\p{Script=Latin}/u.test(String.fromCodePoint(missing)) || !/\p{L}/u.test(String.fromCodePoint(missing)) || tagFontCanDraw(missing)) missing++;
    const name = nameInTags({ firstName: `Ann${String.fromCodePoint(missing)}`, lastName: 'Lee', email: 'ann.lee@corp.example' });
    expect(name).toEqual({ firstName: 'Ann', lastName: 'Lee', derivedFromEmail: true });
    expect(signTag(1, { firstName: `X${String.fromCodePoint(missing)}`, lastName: 'Y', email: 'ann.lee@corp.example' }, tagFontCanDraw))
      .toBe('[!Sign.1,Ann,Lee,ann.lee@corp.example]');
  });

  it('drops undrawable characters from a derived name', () => {
    expect(nameFromEmail('ann.山田lee@corp.example', tagFontCanDraw)).toEqual({ firstName: 'Ann', lastName: 'Lee', derivedFromEmail: true });
  });
});

describe('printable (display text on the signature page)', () => {
  it('keeps what the font draws and marks the rest', () => {
    expect(printable('Vertrag Müller – Ηλέκτρα')).toBe('Vertrag Müller – Ηλέκτρα');
    expect(printable('契約 contract\nnext')).toBe('?? contract next');
  });
});

describe('fontCoverage (the tag font\'s cmap, read without a font library)', () => {
  it.each([['regular', TAG_FONT_PATHS.regular], ['bold', TAG_FONT_PATHS.bold]])('%s: exactly the code points fontkit maps to a glyph', async (_name, path) => {
    const bytes = readFileSync(path);
    const font = (await import('@pdf-lib/fontkit')).default.create(bytes) as unknown as { characterSet: number[]; glyphForCodePoint(c: number): { id: number } };
    const withGlyph = font.characterSet.filter((c) => font.glyphForCodePoint(c).id !== 0).sort((a, b) => a - b);
    expect([...fontCoverage(bytes)].sort((a, b) => a - b)).toEqual(withGlyph);
    expect(withGlyph.length).toBeGreaterThan(5_000);
  });
  it('refuses a file without a cmap table', () => {
    expect(() => fontCoverage(new Uint8Array(12))).toThrow(/no cmap table/);
  });
});

describe('embedTagFonts', () => {
  it('draws one glyph per character: no ligatures for the extractor to undo', async () => {
    const { regular } = await embedTagFonts(await PDFDocument.create());
    // Identity-H: four hex digits per glyph. With ligatures "ffi" and "ffl" would be one each.
    for (const text of ['Griffin', 'Fläffle', 'office flow']) {
      expect(regular.encodeText(text).asString()).toHaveLength(Array.from(text).length * 4);
    }
  });
});
