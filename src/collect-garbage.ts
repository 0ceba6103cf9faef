// A full garbage collection, asked for after work on a large mail or PDF. V8 collects when
// its own heap fills, and counts buffers (mails, PDFs: memory outside its heap) towards a
// collection only once they pass ~64 MB over what the last one left. A 20 MB PDF leaves
// 20–75 MB of buffers that are garbage the moment its work is done — and in a daemon that
// then sits idle, nothing allocates and they stay resident until the next mail: in the
// daemon while its PDF worker reads the next PDF, in the worker until it is recycled
// (docs/performance.md, the `big` section). Collecting then gives them back at once.
//
// Asked for only after large work: a full collection of the daemon's heap takes ~10–30 ms,
// nothing beside a 20 MB PDF's second of work, but too much to pay after every small mail.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Work on this much data (a mail's size, a PDF's bytes) or more is followed by a collection. */
export const COLLECT_AFTER_BYTES = 4 * 1024 * 1024;

let collect: (() => void) | undefined;

/**
 * Runs a full garbage collection now (blocking: call it when the work it cleans up after is
 * over). Never throws: where `gc` cannot be had, it does nothing — memory is then given back
 * as V8 decides, as before.
 */
export function collectGarbage(): void {
  collect ??= exposedGc();
  collect();
}

function exposedGc(): () => void {
  try {
    // Node has no API for it: `gc` is exposed to contexts made once the flag is set, and
    // collects the whole process's heap whichever context calls it.
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // Fall through: no collection.
  }
  return () => {};
}
