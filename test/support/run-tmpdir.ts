// vitest's global set-up: one temporary directory for the whole run, given to every test
// file and every process they start as TMPDIR (os.tmpdir() reads it), and removed when the
// run ends. The suite makes thousands of directories — test worlds, Dovecot's, data
// directories, the daemons' PDF spill directories, those a SIGKILLed child leaves — and no
// test needs to remember its own: a run leaves nothing in /tmp.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'signrelay-test-run-'));
  // Dovecot's unprivileged processes must reach their directories below it.
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
