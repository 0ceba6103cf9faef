// The notify protocol against a real unix datagram socket (a perl receiver stands in for
// systemd: Node cannot receive unix datagrams either).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSystemdNotifier, watchdogIntervalMs } from '../../src/service/sd-notify.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { waitFor } from '../support/wait-for.ts';
import { listenForNotifications } from '../support/notify-socket.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function receiver(path: string) {
  const socket = await listenForNotifications(path);
  cleanups.push(socket.close);
  return socket;
}

describe('createSystemdNotifier', () => {
  it.each([['a socket file', 'file'], ['an abstract socket (@name)', 'abstract']])('sends each notification as one datagram to %s', async (_, kind) => {
    const dir = await mkdtemp(join(tmpdir(), 'sd-notify-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = kind === 'file' ? join(dir, 'notify.sock') : `@signrelay-test-${process.pid}-${Date.now()}`;
    const systemd = await receiver(path);
    const { logger, entries } = createTestLogger();
    const notifier = createSystemdNotifier(logger, { NOTIFY_SOCKET: path, WATCHDOG_USEC: '30000000' });
    cleanups.push(async () => notifier.close());
    expect(notifier).toMatchObject({ enabled: true, watchdogIntervalMs: 15_000 });
    notifier.notify({ READY: '1', STATUS: 'watching sign@corp.example' });
    notifier.notify({ WATCHDOG: '1' });
    notifier.notify({ STATUS: 'two\nlines' });
    await waitFor(() => systemd.messages().length === 3, { timeoutMs: 5_000, what: 'three datagrams', describe: systemd.messages });
    expect(systemd.messages()).toEqual(['READY=1|STATUS=watching sign@corp.example', 'WATCHDOG=1', 'STATUS=two lines']);
    expect(entries.filter((e) => e.level !== "debug")).toEqual([]);
  });

  it('does nothing when not started by systemd', () => {
    const { logger } = createTestLogger();
    const notifier = createSystemdNotifier(logger, {});
    expect(notifier).toMatchObject({ enabled: false, watchdogIntervalMs: undefined });
    notifier.notify({ READY: '1' });
    notifier.close();
  });
});

describe('watchdogIntervalMs', () => {
  it.each([
    [{ WATCHDOG_USEC: '60000000' }, 30_000],
    [{ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '1234' }, 30_000],
    [{ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '999' }, undefined],
    [{ WATCHDOG_USEC: '0' }, undefined],
    [{ WATCHDOG_USEC: 'x' }, undefined],
    [{}, undefined],
  ])('%o → %s', (env, expected) => {
    expect(watchdogIntervalMs(env, 1234)).toBe(expected);
  });
});
