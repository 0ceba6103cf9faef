// Run before every test file (vitest.config.ts setupFiles). Files share their process with
// the files before and after them (not isolated: re-importing the daemon's modules for every
// file was ~40 % of the suite's CPU), so each file must leave the process as it found it.
// The PDF pool is the one piece of module state a file can leave running: a pool a test
// started keeps its size and stays warm until stopped, which is done here. Its idle workers
// are left, as a daemon's stop leaves them (pdf-pool.ts): the next file's daemon takes them
// instead of starting its own, and they end after IDLE_MS if none does. A test that counts
// workers starts from none (endIdlePdfWorkers()).
import { afterAll } from 'vitest';
import { stopPdfPool } from '../../src/pdf/pdf-pool.ts';

afterAll(() => {
  stopPdfPool();
});
