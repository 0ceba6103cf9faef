// Installed in the PDF worker process only (pdf-worker.ts): a ceiling on any single
// typed-array or ArrayBuffer allocation the parsers make. The worker's heap limit bounds
// its JS objects, but the bytes of typed arrays live outside the heap — a stream that
// unpacks to gigabytes (in a way measure-inflated-size.ts does not follow, such as LZW)
// would otherwise take the machine's memory. pdf.js and pdf-lib grow a decoded stream by
// doubling one buffer, so refusing any one buffer over the cap stops such a stream.
//
// The constructors are replaced by transparent Proxies: `instanceof`, prototypes and
// static methods stay the native ones; only `new X(length)` with a number is checked.
// Node's own Buffer code uses the constructors it captured at start-up and is unaffected.
//
// DecompressionStream is removed: pdf.js prefers it for large Flate streams, and it
// collects the whole output in native chunks before joining them — a 1 GB bomb grew the
// process by 1.4 GB before the join was refused. Without it pdf.js inflates in JS, into
// one growing buffer that the cap stops.

const CAPPED = ['ArrayBuffer', 'SharedArrayBuffer', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'] as const;

export interface AllocationCap {
  /** The ceiling in bytes for the next allocations. */
  setMaxBytes(bytes: number): void;
  /** The largest refused allocation since the last call (and forgets it), or undefined. */
  takeRefused(): number | undefined;
}

export function capAllocations(maxBytes: number): AllocationCap {
  let limit = maxBytes;
  let refused: number | undefined;
  const global = globalThis as unknown as Record<string, unknown>;
  for (const name of CAPPED) {
    const native = global[name] as (new (...args: unknown[]) => object) & { BYTES_PER_ELEMENT?: number } | undefined;
    if (typeof native !== 'function') continue;
    const elementBytes = native.BYTES_PER_ELEMENT ?? 1;
    global[name] = new Proxy(native, {
      construct(target, args, newTarget) {
        const length = args[0];
        if (typeof length === 'number' && length * elementBytes > limit) {
          refused = Math.max(refused ?? 0, length * elementBytes);
          throw new RangeError(`signrelay: refused to allocate ${length * elementBytes} bytes for one ${name} (the cap is ${limit})`);
        }
        return Reflect.construct(target, args, newTarget === global[name] ? target : newTarget) as object;
      },
    });
  }
  delete (globalThis as { DecompressionStream?: unknown }).DecompressionStream;
  return {
    setMaxBytes(bytes) {
      limit = bytes;
    },
    takeRefused() {
      const value = refused;
      refused = undefined;
      return value;
    },
  };
}
