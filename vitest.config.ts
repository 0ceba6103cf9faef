import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { suiteCompileCache } from './test/support/compile-cache.ts';
import { LongestFirst } from './test/support/longest-first.ts';
import { testKinds } from './test/support/test-kinds.ts';

// Three projects (test/support/test-kinds.ts decides which file goes where, from its imports):
// `unit` (pure, in memory: `npm run test:unit`, seconds), `integration` (Dovecot, the SMTP
// server, the simulators, the daemon in process, the PDF workers) and `slow` (chaos, hostile
// PDFs, the CLI and the demo end to end). `npm test` runs all three.
const kinds = testKinds(import.meta.dirname);

// V8's compile cache, shared by every process the suite starts (test/support/compile-cache.ts).
process.env.NODE_COMPILE_CACHE ??= suiteCompileCache();

export default defineConfig({
  test: {
    // Generous: a deadline only ends a test that is stuck, and a busy box must not fail one that is slow.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    expect: { poll: { timeout: 60_000 } },
    // One TMPDIR for the run, removed at its end (after the compile cache above was placed).
    globalSetup: ['./test/support/run-tmpdir.ts'],
    // A worker process runs file after file with the modules it has already imported: isolating
    // each file (vitest's default) re-imported the daemon, imapflow, mailparser and the rest for
    // every one of them. Measured on this 2-core machine, integration 350 → 211 CPU-s (207 →
    // 138 s), unit 42 → 13 CPU-s. So a file must leave the process as it found it: restore what
    // it changes in process.env, stop what it starts; file-hygiene.ts ends the PDF pool's workers.
    isolate: false,
    setupFiles: ['./test/support/file-hygiene.ts'],
    // Files run in parallel, each with its own Dovecot/SMTP servers on free ports. Most of a
    // file's time is waiting (Dovecot's IDLE notice, a daemon's start, a job's retry), not
    // CPU: on 2 cores, 2 files at once kept 1.3 cores busy (7.9 min), 4 kept 1.7 busy
    // (5.8 min). Files sharing their process (below) cost less CPU each, and 6 at once took the
    // run from 288 to 262 s. Three per core, so (at most 8), and the waits are on progress, not
    // on the clock (with `yes` beside it, the whole run passed in 332 s). Four per core
    // (2026-12-03, late) took a quiet run from 268 to 238 s, but with `yes` beside it the
    // Signicat chaos run stalled past its window once: not kept. Measured again on 2026-12-04
    // after the chaos harness's fix: quiet 265 s against 275–287 s at three per core, with
    // `yes` beside it 297 and 329 s against 290–337 s, both passing — a gain within the runs'
    // spread, not worth the busier box's risk: still not kept.
    maxWorkers: Math.min(8, 3 * availableParallelism()),
    // One queue for all three projects, longest files first (test/support/longest-first.ts).
    sequence: { sequencer: LongestFirst },
    projects: (['unit', 'integration', 'slow'] as const).map((name) => ({
      extends: true,
      test: { name, include: kinds[name] },
    })),
  },
});
