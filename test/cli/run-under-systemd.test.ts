// `signrelay run` as systemd starts it (Type=notify, WatchdogSec): READY once running,
// WATCHDOG=1 with both watchers in the STATUS while they are alive, STOPPING on SIGTERM.
// With the unit's environment, except that the jemalloc it preloads is missing here: the
// daemon runs on glibc's malloc and says in its log what to install.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { JEMALLOC } from '../../src/native-memory.ts';
import { unitEnvironment } from '../support/unit-environment.ts';
import { waitFor } from '../support/wait-for.ts';
import { listenForNotifications } from '../support/notify-socket.ts';
import { STOP_WITHIN_MS, useChildWorld, IMAP_PASSWORD, API_SECRET } from './child-world.ts';
import { bareEnv, exitWithin, startCli } from './helpers.ts';

const getWorld = useChildWorld();

it('tells systemd it is ready, pings the watchdog while both watchers are alive, and says it is stopping', async () => {
  const world = getWorld();
  const dir = await mkdtemp(join(tmpdir(), 'notify-'));
  const systemd = await listenForNotifications(join(dir, 'notify.sock'));
  try {
    const daemon = startCli(['run', '--config', world.configFile], {
      env: bareEnv({
        ...unitEnvironment(),
        LD_PRELOAD: join(dir, JEMALLOC),
        TEST_IMAP_PASSWORD: IMAP_PASSWORD, TEST_SS_API_SECRET: API_SECRET, TEST_SS_REFRESH_TOKEN: world.simulator.issueTokens().refreshToken,
        NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: '1000000',
      }),
    });
    const connected = /^WATCHDOG=1\|STATUS=requests (idle|connected), heard \d+ s ago; returns (idle|connected), heard \d+ s ago$/;
    await waitFor(() => systemd.messages().some((m) => connected.test(m)), { timeoutMs: 20_000, what: 'a watchdog ping with both watchers connected', describe: systemd.messages });
    expect(systemd.messages()[0]).toBe('READY=1|STATUS=started');
    expect(daemon.logLines().find((l) => l.message?.startsWith('LD_PRELOAD names jemalloc'))).toMatchObject({ level: 'warn', component: 'systemd' });
    // Pings before that one were sent while the watchers were still connecting (alive too).
    const before = systemd.messages().slice(1, systemd.messages().findIndex((m) => connected.test(m)));
    for (const m of before) expect(m).toMatch(/^WATCHDOG=1\|STATUS=requests \w+.*; returns \w+/);
    daemon.child.kill('SIGTERM');
    expect(await exitWithin(daemon, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
    await waitFor(() => systemd.messages().includes('STOPPING=1|STATUS=stopping'), { timeoutMs: 2_000, what: 'STOPPING', describe: systemd.messages });
  } finally {
    await systemd.close();
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
