import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../src/collect-garbage.ts';

describe('collectGarbage', () => {
  it('collects what nothing refers to any more, now, and can be asked again', async () => {
    for (let round = 0; round < 2; round++) {
      let held: { buffer: Buffer } | undefined = { buffer: Buffer.alloc(8 * 1024 * 1024, 1) };
      const ref = new WeakRef(held);
      // A WeakRef's target is kept at least until the current job ends: drop it, then let one pass.
      held = undefined;
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      expect(ref.deref()).toBeUndefined();
    }
  });

  it('leaves alone what is still referred to', async () => {
    const held = { buffer: Buffer.alloc(1024, 7) };
    const ref = new WeakRef(held);
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(ref.deref()?.buffer[0]).toBe(7);
    expect(held.buffer.length).toBe(1024);
  });
});
