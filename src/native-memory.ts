// How the allocator is set for signrelay's processes. A long-running Node process that
// passes large buffers around (mails, PDFs) grows its resident memory outside V8's heap.
// The soak (bench/soak.ts, 2,000 mails) placed it: with glibc's malloc the main arena
// ([heap] in /proc/PID/smaps) grew from 27 to 93 MB while the JS heap in use stayed at
// ~40 MB, and the main process from 236 MB after 200 mails to 306 MB (1.29x); glibc keeps
// freed memory in its arenas in pieces it cannot give back. With jemalloc preloaded in the
// main process it went from 232 to 266 MB (1.15x) at the same pace.
//
// So the systemd units preload jemalloc (Debian's libjemalloc2) into the daemon, and the
// PDF pool starts its workers *without* it: pdf-lib and pdf.js ran 13-45 % slower on it
// (bench/perf.ts, its in-process section), and a worker's growth does not matter, the pool
// recycles workers. The workers get glibc's malloc set for large buffers instead, which is
// also what the daemon falls back to where jemalloc is not installed:
// - two arenas, whatever the number of threads or cores (each thread that allocates —
//   V8's compiler and GC helpers, libuv's pool — would get one of its own, up to eight per core);
// - blocks over 128 KiB mapped on their own and given back when freed, at a fixed
//   threshold (once a large block is freed glibc raises it, and later large buffers stay in
//   its arenas after they are freed);
// - free memory at the top of an arena over 128 KiB given back.
//
// These are read when a process starts, so they are set where processes are started: the
// systemd units (Environment=, checked against SERVICE_ENVIRONMENT by
// test/deploy/unit-file.test.ts) and the PDF pool's workers. Settings already in the
// environment win.
export const MALLOC_SETTINGS: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/** jemalloc by its soname: the dynamic loader finds it where the distribution put it. */
export const JEMALLOC = 'libjemalloc.so.2';

/**
 * jemalloc's own settings for the daemon: memory it is given back is returned to the system
 * at once. By default jemalloc keeps freed pages for ~10 s and returns them only while the
 * process allocates, so in a daemon gone quiet after a large mail they stayed resident — while
 * its PDF worker read that mail's PDF. Measured with the bench's `big` section (three runs
 * each): the tree's peak 415–436 MB with jemalloc's defaults, 378–401 MB with these; the
 * burst's rate the same (4.3–4.5 mails/s either way, two runs each).
 */
export const JEMALLOC_SETTINGS = 'dirty_decay_ms:0,muzzy_decay_ms:0';

/** What the systemd units set: jemalloc for the daemon, glibc's settings for its workers and as the fallback. */
export const SERVICE_ENVIRONMENT: Readonly<Record<string, string>> = { LD_PRELOAD: JEMALLOC, MALLOC_CONF: JEMALLOC_SETTINGS, ...MALLOC_SETTINGS };

/** The libraries LD_PRELOAD names (ld.so takes a list separated by spaces or colons). */
const preloads = (env: NodeJS.ProcessEnv) => (env.LD_PRELOAD ?? '').split(/[\s:]+/).filter((lib) => lib !== '');
/** Whether a preloaded library, by soname or path, is jemalloc. */
const isJemalloc = (lib: string) => /^libjemalloc\.so/.test(lib.slice(lib.lastIndexOf('/') + 1));

/** A PDF worker's environment: `env` without jemalloc in LD_PRELOAD (other preloads stay), with glibc's settings it does not name. */
export function workerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { LD_PRELOAD: _preload, ...rest } = env;
  const kept = preloads(env).filter((lib) => !isJemalloc(lib));
  return { ...MALLOC_SETTINGS, ...rest, ...(kept.length > 0 ? { LD_PRELOAD: kept.join(' ') } : {}) };
}

/**
 * When LD_PRELOAD names jemalloc but the process does not have it mapped (`maps`: the text of
 * /proc/self/maps), what to tell the operator; otherwise undefined. ld.so says it only once,
 * on stderr, and goes on with glibc's malloc.
 */
export function jemallocMissing(env: NodeJS.ProcessEnv, maps: string): string | undefined {
  if (!preloads(env).some(isJemalloc) || /\/libjemalloc\.so[^\s/]*$/m.test(maps)) return undefined;
  return `LD_PRELOAD names jemalloc but it is not loaded, so memory grows more over time (docs/performance.md): install it (Debian: apt-get install libjemalloc2) or remove LD_PRELOAD=${JEMALLOC} from the unit's Environment=`;
}
