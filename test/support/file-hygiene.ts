// Run before every test file (vitest.config.ts setupFiles). Files share their process with
// the files before and after them (not isolated: re-importing the daemon's modules for every
// file was ~40 % of the suite's CPU), so each file must leave the process as it found it.
// The PDF pool is the one piece of module state a file can leave running: a daemon's stop
// leaves its idle workers for the next daemon (pdf-pool.ts), and a pool a test started keeps
// its size. Both are ended here, so every file starts with no worker.
import { afterAll } from 'vitest';
import { endIdlePdfWorkers, stopPdfPool } from '../../src/pdf/pdf-pool.ts';

afterAll(() => {
  stopPdfPool();
  endIdlePdfWorkers();
});
