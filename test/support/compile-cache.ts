// V8's compile cache for the suite (vitest.config.ts): the suite starts `node src/cli.ts` a
// hundred times or more (the CLI, the demo, the chaos daemon, PDF workers), and the cache,
// shared by all of them, saves each start ~0.5 s of compiling the same modules. Children
// inherit it (test/cli/helpers.ts bareEnv passes it on).
//
// Node never prunes it, and its entries are per file path: every checkout the suite runs in
// (a worktree, a fresh clone) adds ~60 MB. Past MAX_BYTES it is emptied at the start of a
// run, which fills it again for the checkout in use.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAX_BYTES = 512 * 1024 * 1024;

/** The cache directory to use; emptied first when it has grown past MAX_BYTES. */
export function suiteCompileCache(dir = join(tmpdir(), 'signrelay-test-compile-cache'), maxBytes = MAX_BYTES): string {
  if (bytesUnder(dir) > maxBytes) rmSync(dir, { recursive: true, force: true });
  return dir;
}

function bytesUnder(dir: string): number {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    try {
      total += statSync(join(entry.parentPath, entry.name)).size;
    } catch {
      // Removed meanwhile by a run beside this one.
    }
  }
  return total;
}
