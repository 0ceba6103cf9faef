// Which characters a TrueType font maps to a glyph, read from its `cmap` table — pure, and
// small enough that the daemon can answer "can the tag font draw this name?" without
// loading a font library (fontkit costs ~0.3 s and ~30 MB; stamping, which needs it, runs
// in the PDF worker). Reads the Unicode subtables fonts carry: format 12 (full Unicode,
// platform 3 encoding 10 or platform 0) when present, else format 4 (the BMP).

/** The code points the font maps to a glyph other than .notdef. */
export function fontCoverage(font: Uint8Array): Set<number> {
  const view = new DataView(font.buffer, font.byteOffset, font.byteLength);
  const cmap = tableOffset(view, 'cmap');
  const subtables = view.getUint16(cmap + 2);
  let format4: number | undefined;
  let format12: number | undefined;
  for (let i = 0; i < subtables; i++) {
    const entry = cmap + 4 + i * 8;
    const platform = view.getUint16(entry);
    const encoding = view.getUint16(entry + 2);
    const offset = cmap + view.getUint32(entry + 4);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode) continue;
    const format = view.getUint16(offset);
    if (format === 12) format12 ??= offset;
    else if (format === 4) format4 ??= offset;
  }
  if (format12 !== undefined) return readFormat12(view, format12);
  if (format4 !== undefined) return readFormat4(view, format4);
  throw new RangeError('the font has no Unicode cmap subtable (format 4 or 12)');
}

function tableOffset(view: DataView, wanted: string): number {
  const tables = view.getUint16(4);
  for (let i = 0; i < tables; i++) {
    const record = 12 + i * 16;
    const tag = String.fromCharCode(view.getUint8(record), view.getUint8(record + 1), view.getUint8(record + 2), view.getUint8(record + 3));
    if (tag === wanted) return view.getUint32(record + 8);
  }
  throw new RangeError(`the font has no ${wanted} table`);
}

/** Segmented coverage: groups of consecutive code points mapped to consecutive glyphs. */
function readFormat12(view: DataView, at: number): Set<number> {
  const covered = new Set<number>();
  const groups = view.getUint32(at + 12);
  for (let i = 0; i < groups; i++) {
    const group = at + 16 + i * 12;
    const start = view.getUint32(group);
    const end = view.getUint32(group + 4);
    const firstGlyph = view.getUint32(group + 8);
    for (let code = start; code <= end; code++) {
      if (firstGlyph + (code - start) !== 0) covered.add(code);
    }
  }
  return covered;
}

/** Segment mapping to delta values: the BMP, with an optional glyph-index array. */
function readFormat4(view: DataView, at: number): Set<number> {
  const covered = new Set<number>();
  const segments = view.getUint16(at + 6) / 2;
  const ends = at + 14;
  const starts = ends + segments * 2 + 2;
  const deltas = starts + segments * 2;
  const rangeOffsets = deltas + segments * 2;
  for (let s = 0; s < segments; s++) {
    const end = view.getUint16(ends + s * 2);
    const start = view.getUint16(starts + s * 2);
    const delta = view.getInt16(deltas + s * 2);
    const rangeOffsetAt = rangeOffsets + s * 2;
    const rangeOffset = view.getUint16(rangeOffsetAt);
    for (let code = start; code <= end && code !== 0xffff; code++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (code + delta) & 0xffff;
      else {
        const raw = view.getUint16(rangeOffsetAt + rangeOffset + (code - start) * 2);
        glyph = raw === 0 ? 0 : (raw + delta) & 0xffff;
      }
      if (glyph !== 0) covered.add(code);
    }
  }
  return covered;
}
