import { describe, expect, it } from 'vitest';
import { gatherBytes } from '../../src/mail/gather-bytes.ts';

const chunks = (...texts: string[]) => texts.map((text) => Buffer.from(text));

describe('gatherBytes', () => {
  it('gathers chunks in order into a buffer of the expected size, held once', () => {
    const gathered = gatherBytes(12);
    for (const chunk of chunks('%PDF-', '1.7', '\nxyz')) gathered.add(chunk);
    const bytes = gathered.bytes();
    expect(bytes.toString()).toBe('%PDF-1.7\nxyz');
    expect(bytes.buffer.byteLength).toBe(12);
  });

  it('gives only what came when less came than expected, and the rest of its buffer holds zeros', () => {
    const gathered = gatherBytes(1000);
    gathered.add(Buffer.from('%PDF'));
    const bytes = gathered.bytes();
    expect(bytes.toString()).toBe('%PDF');
    expect(Buffer.from(bytes.buffer, bytes.byteOffset + bytes.length, 996).every((byte) => byte === 0)).toBe(true);
  });

  it('still gathers everything when more comes than expected, or nothing was expected', () => {
    for (const expected of [5, 0, undefined]) {
      const gathered = gatherBytes(expected);
      for (const chunk of chunks('abc', 'def', 'gh')) gathered.add(chunk);
      expect(gathered.bytes().toString()).toBe('abcdefgh');
    }
    expect(gatherBytes(4).bytes()).toHaveLength(0);
  });
});
