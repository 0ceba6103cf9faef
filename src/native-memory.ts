// How glibc's allocator is set for signrelay's processes. A long-running Node process that
// passes large buffers around (mails, PDFs) grows its resident memory outside V8's heap, and
// two of glibc's defaults are known to feed that: each thread that allocates (V8's compiler
// and GC helpers, libuv's pool) gets an arena of its own, up to eight per core, and freed
// memory stays mapped in them; and once a large block is freed, glibc raises its mmap
// threshold, so later large buffers come from those arenas instead of being unmapped when
// freed. The soak (bench/soak.ts) measured the main process at 322 MB after 200 mails and
// 394 MB after 2,000 with the defaults (its JS heap at ~40 MB throughout), and 233 MB to
// 316–335 MB with these settings: lower throughout, though still growing
// (docs/performance.md).
//
// The settings are read when a process starts, so they are set where processes are
// started: the systemd units (Environment=, checked against this by
// test/deploy/unit-file.test.ts) and the PDF pool's workers. Settings already in the
// environment win.
export const MALLOC_SETTINGS: Readonly<Record<string, string>> = {
  // Two arenas, whatever the number of threads or cores.
  MALLOC_ARENA_MAX: '2',
  // Blocks over 128 KiB are mapped on their own and given back when freed; a fixed
  // threshold keeps glibc from raising it.
  MALLOC_MMAP_THRESHOLD_: '131072',
  // Free memory at the top of an arena over 128 KiB is given back.
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/** `env` with the settings it does not name. */
export function withMallocSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...MALLOC_SETTINGS, ...env };
}
