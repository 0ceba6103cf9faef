// measureInflatedSize: what a PDF's zlib streams unpack to, counted without keeping the
// output. Exact for ordinary streams, partial for damaged ones, nested layers followed,
// images and embedded files left out, and a bomb stopped as soon as the budget is spent.
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { measureInflatedSize } from '../../src/pdf/measure-inflated-size.ts';
import { flateBombPdf, onePagePdf, plainPdf, streamObject } from './make-hostile-pdf.ts';

const MIB = 1024 * 1024;
const text = (n: number) => Buffer.alloc(n, 'BT (x) Tj ET\n');

describe('measureInflatedSize', () => {
  it.each([
    ['an uncompressed PDF', () => plainPdf(), 0],
    ['one Flate content stream', () => onePagePdf(deflateSync(text(MIB)), '/Filter /FlateDecode'), MIB],
    ['a small stream (inflated in one call) next to a large one (in chunks)',
      () => onePagePdf(deflateSync(text(100)), '/Filter /FlateDecode', [streamObject('/Filter /FlateDecode', deflateSync(text(3 * MIB)))]), 100 + 3 * MIB],
    ['a Flate stream whose filter entry is an indirect reference', () => onePagePdf(deflateSync(text(5000)), '/Filter 9 0 R'), 5000],
    ['two zlib layers ([/FlateDecode /FlateDecode]): both counted',
      () => onePagePdf(deflateSync(deflateSync(text(MIB))), '/Filter [/FlateDecode /FlateDecode]'), MIB + deflateSync(text(MIB)).length],
    ['an image (never unpacked by the parsers)', () => onePagePdf(Buffer.from('q Q'), '', [streamObject('/Type /XObject /Subtype /Image /Filter /FlateDecode', deflateSync(text(MIB)))]), 0],
    ['an embedded file', () => onePagePdf(Buffer.from('q Q'), '', [streamObject('/Type /EmbeddedFile /Filter /FlateDecode', deflateSync(text(MIB)))]), 0],
    ['ASCIIHex data (not zlib)', () => onePagePdf(Buffer.from('48656c6c6f>'), '/Filter /ASCIIHexDecode'), 0],
  ])('%s', async (_name, make, expected) => {
    expect(await measureInflatedSize(make(), 64 * MIB)).toBe(expected);
  });

  it('counts what a cut-off stream unpacks to before the cut, as a parser would use it', async () => {
    const whole = deflateSync(text(MIB));
    const counted = await measureInflatedSize(onePagePdf(whole.subarray(0, whole.length / 2), '/Filter /FlateDecode'), 64 * MIB);
    expect(counted).toBeGreaterThan(0.3 * MIB);
    expect(counted).toBeLessThan(MIB);
  });

  it('stops a 1 GiB bomb as soon as the budget is spent', async () => {
    const bomb = await flateBombPdf(2 ** 30);
    const counted = await measureInflatedSize(bomb, 8 * MIB);
    // It stopped within a megabyte of the budget, not after the gigabyte (how fast: npm run bench).
    expect(counted).toBeGreaterThan(8 * MIB);
    expect(counted).toBeLessThan(9 * MIB);
  });

  it('is not fooled by the word "stream" in a string or name', async () => {
    const pdf = onePagePdf(Buffer.from('BT (a stream of words, endstream, stream) Tj ET'), '', ['<< /Note (upstream) >>']);
    expect(await measureInflatedSize(pdf, MIB)).toBe(0);
  });
});
