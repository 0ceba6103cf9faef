// A server without IDLE (some hosted servers and proxies; Exchange with IDLE switched off):
// nothing announces new mail, so the watcher polls. imapflow polls such a server only every
// 2 minutes, and the watcher's liveness NOOP every minute: a mail waited up to a minute (imap
// variants review L2). Now the watcher has imapflow poll every IMAP_NO_IDLE_POLL_MS and says
// once that the server has no IDLE. Here the liveness NOOP is set 10 minutes off, so only the
// poll can find the mail.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IMAP_NO_IDLE_POLL_MS } from '../../src/mail/imap-client.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { nextEvent, waitFor } from '../support/wait-for.ts';
import { capabilitiesWithout } from '../support/dovecot-config.ts';
import { stopAllWatchers, testMail, watch } from './watcher-harness.ts';

const PASSWORD = 'no-idle-pass-4411';
const NO_IDLE = capabilitiesWithout('IDLE');
const TOLD = 'the IMAP server does not offer IDLE: signrelay polls the folder for new mail (every pollIntervalMs) instead of being told of it at once';
let withIdle: DovecotHandle;
let noIdle: DovecotHandle;

beforeAll(async () => {
  [withIdle, noIdle] = await Promise.all([
    startDovecot({ users: { u: PASSWORD } }),
    startDovecot({ users: { u: PASSWORD }, extraConfig: NO_IDLE }),
  ]);
});
afterEach(stopAllWatchers);
afterAll(async () => {
  await withIdle?.stop();
  await noIdle?.stop();
});

/** A watcher whose liveness NOOP would come only after 10 minutes, connected and idle. */
async function idleWatcher(server: DovecotHandle) {
  const harness = watch(server, 'u', PASSWORD, { livenessIntervalMs: 10 * 60_000 });
  await nextEvent((fn) => harness.watcher.on('connected', fn), { what: 'connected' });
  await waitFor(() => harness.watcher.status().state === 'idle', { what: 'idle' });
  return harness;
}

describe('a server without IDLE', () => {
  it('polls it, and takes a mail delivered while the watcher is idle without waiting for the liveness NOOP', async () => {
    expect(IMAP_NO_IDLE_POLL_MS).toBeGreaterThanOrEqual(10_000);
    expect(IMAP_NO_IDLE_POLL_MS).toBeLessThanOrEqual(15_000);
    const { calls, log } = await idleWatcher(noIdle);
    await noIdle.deliver('u@corp.example', testMail('polled'));
    // imapflow's own poll (every 2 minutes) or the liveness NOOP (10) would not come within this.
    await waitFor(() => calls.length === 1, { what: 'the mail handed over', timeoutMs: 60_000 });
    expect(calls[0]!.messageId).toBe('<polled@test.example>');
    expect(log.entries.filter((entry) => entry.message === TOLD)).toEqual([expect.objectContaining({ level: 'info', pollIntervalMs: IMAP_NO_IDLE_POLL_MS })]);
  }, 90_000);

  it('a server with IDLE announces the mail, and nothing is said of polling', async () => {
    const { calls, log, clients } = await idleWatcher(withIdle);
    await withIdle.deliver('u@corp.example', testMail('announced'));
    await waitFor(() => calls.length === 1, { what: 'the mail handed over' });
    expect(log.entries.filter((entry) => entry.message === TOLD)).toEqual([]);
    expect(clients[0]!.capabilities.has('IDLE')).toBe(true);
  });
});
