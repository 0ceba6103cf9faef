// Whose fault an error met while stamping is (file-damage.ts): one pdf-lib throws on the
// file's objects is the file's — a pdf_damaged reply, not a retry — anything else is ours.
import { PDFArray, PDFContext, PDFDict, PDFName, PDFNumber } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { isFileDamage } from '../../src/pdf/file-damage.ts';

/** What `work` threw. */
function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (err) {
    return err;
  }
  throw new Error('nothing was thrown');
}

const context = PDFContext.create();
const threeNumbers = context.obj([0, 0, 100]);
const countAsName = PDFDict.withContext(context);
countAsName.set(PDFName.of('Count'), PDFName.of('Two'));

describe('isFileDamage', () => {
  it.each([
    ['pdf-lib\'s "to rectangle" error on a box of three numbers', () => (threeNumbers as PDFArray).asRectangle(), true],
    ['pdf-lib\'s "Expected instance of" on an entry of another type', () => countAsName.lookup(PDFName.of('Count'), PDFNumber), true],
    ['a TypeError of our own', () => (undefined as unknown as { size: number }).size, false],
    ['an errno error', () => { throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }); }, false],
    ['a SignrelayError', () => { throw new SignrelayError('input', 'no_signers', 'no signer'); }, false],
  ])('%s: %s', (_name, work, damage) => {
    expect(isFileDamage(thrown(work))).toBe(damage);
  });

  it('a stack overflow in pdf-lib\'s code (a structure that contains itself) is the file\'s', () => {
    const err = thrown(() => context.obj(nested(20_000) as never));
    expect(err).toBeInstanceOf(RangeError);
    expect(isFileDamage(err)).toBe(true);
  });
});

/** An array nested `depth` deep, which pdf-lib's obj() converts recursively. */
function nested(depth: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}
