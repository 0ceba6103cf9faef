// The launcher keeps V8's compiled code in the user's cache directory (bin/signrelay.mjs). Node
// makes that directory with the umask — 0777 under umask 000, where another local user could
// plant code the daemon and its PDF workers then load (env review L2). The launcher makes it
// 0700 itself and uses it only while it is this user's and no one else may write to it.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'signrelay-cache-home-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `signrelay --version` under umask 000 with XDG_CACHE_HOME=`cacheHome`; the compile cache it chose. */
function launch(cacheHome: string): string {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome };
  delete env.NODE_COMPILE_CACHE;
  const run = spawnSync('sh', ['-c', 'umask 000; exec "$0" bin/signrelay.mjs --version', process.execPath], { encoding: 'utf8', env });
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^signrelay \d+\.\d+\.\d+ /);
  return run.stdout;
}

describe('the compile cache directory', () => {
  it('is made 0700, its signrelay directory too, under umask 000', () => {
    const home = join(dir, 'fresh');
    launch(home);
    for (const made of [join(home, 'signrelay'), join(home, 'signrelay', 'compile')]) expect(statSync(made).mode & 0o777, made).toBe(0o700);
  });

  it('one an older launcher left writable by others is made private again', () => {
    const home = join(dir, 'older');
    mkdirSync(join(home, 'signrelay', 'compile'), { recursive: true });
    chmodSync(join(home, 'signrelay'), 0o777);
    chmodSync(join(home, 'signrelay', 'compile'), 0o777);
    launch(home);
    for (const made of [join(home, 'signrelay'), join(home, 'signrelay', 'compile')]) expect(statSync(made).mode & 0o777, made).toBe(0o700);
  });
});
