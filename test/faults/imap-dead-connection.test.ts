// A silently dead IMAP connection: a proxy between the watcher and a real Dovecot stops
// forwarding in both directions without closing anything (a dead NAT entry, a pulled cable).
// The watcher's NOOP probe must notice it — a probe every interval, each given half an
// interval to answer, so a dead connection is found within 1.5 intervals and replaced within
// 2 (livenessTimeoutFor) — and reconnect, and the mail delivered while the old connection was
// dead must be handled exactly once. The clock bounds only from below (no probe can notice
// early); from above, the probe's own timeout is checked, not the clock: on a busy box
// timers fire late, and the reconnect's login takes what the box gives it.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { SignrelayError } from '../../src/errors.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { nextEvent, waitFor } from '../support/wait-for.ts';
import { account, callCounts, stopAllWatchers, testMail, watch } from '../mail/watcher-harness.ts';

const PASSWORD = 'frozen-pass-5d1c';
const LIVENESS_MS = 2_000;
let dovecot: DovecotHandle;
let proxy: TcpProxy;
/** Set by the test: freeze right after the next NOOP answer went through (the worst moment). */
let freezeAfterNoop = false;
let frozenAt: number | null = null;

beforeAll(async () => {
  dovecot = await startDovecot({ users: { frozen: PASSWORD } });
  proxy = await startTcpProxy({
    target: { host: dovecot.host, port: dovecot.imapPort },
    tap(chunk, direction) {
      if (!freezeAfterNoop || direction !== 'down' || !/^\S+ OK NOOP/m.test(chunk.toString('latin1'))) return;
      freezeAfterNoop = false;
      frozenAt = proxy.freeze();
    },
  });
});
afterEach(stopAllWatchers);
afterAll(async () => {
  await proxy?.close();
  await dovecot?.stop();
});

it('notices a frozen connection by the probe timing out after half an interval, reconnects, and handles the mail that came meanwhile once', async () => {
  const { watcher, calls, log } = watch(dovecot, 'frozen', PASSWORD, {
    account: { ...account(dovecot, 'frozen', PASSWORD), host: proxy.host, port: proxy.port },
    livenessIntervalMs: LIVENESS_MS,
  });
  await nextEvent((fn) => watcher.on('connected', fn), { what: 'the first connect' });
  await dovecot.deliver('frozen@corp.example', testMail('before-freeze'));
  await waitFor(async () => (await dovecot.list('frozen', 'Processed')).length === 1, { what: 'the first mail in Processed' });

  let disconnectedAt = 0;
  let reconnectedAt = 0;
  const disconnected = nextEvent<[{ error: SignrelayError | null }]>((fn) => watcher.on('disconnected', (info) => {
    disconnectedAt = Date.now();
    fn(info);
  }), { what: 'the dead connection noticed', timeoutMs: 4 * LIVENESS_MS });
  const reconnected = nextEvent((fn) => watcher.on('connected', (info) => {
    reconnectedAt = Date.now();
    fn(info);
  }), { what: 'the reconnect', timeoutMs: 4 * LIVENESS_MS });
  freezeAfterNoop = true;
  const freezeTime = await waitFor(() => frozenAt, { what: 'a liveness NOOP to freeze after', timeoutMs: 2 * LIVENESS_MS });
  const deadConnection = proxy.connections.at(-1)!;
  // Delivered past the proxy: the frozen session never hears of it.
  await dovecot.deliver('frozen@corp.example', testMail('while-frozen'));

  const [{ error }] = await disconnected;
  await reconnected;
  expect(error).toMatchObject({ kind: 'transient', code: 'imap_liveness_timeout' });
  expect(error!.message).toBe(`The IMAP server did not answer a NOOP within ${LIVENESS_MS / 2} ms; reconnecting.`);
  expect(log.entries.some((entry) => entry.message === 'imap liveness probe failed')).toBe(true);
  // Nothing was closed: the probe, not a socket event, found the connection dead — one full
  // interval after the last answer, plus the probe's timeout.
  expect(deadConnection).toMatchObject({ frozen: true, closedAt: null });
  expect(disconnectedAt - freezeTime).toBeGreaterThanOrEqual(LIVENESS_MS);
  expect(reconnectedAt).toBeGreaterThanOrEqual(disconnectedAt);
  expect(proxy.connections.filter((connection) => connection.openedAt > freezeTime)).toHaveLength(1);

  await waitFor(async () => (await dovecot.list('frozen', 'Processed')).length === 2, { what: 'the mail from the dead spell in Processed' });
  expect(await dovecot.list('frozen', 'INBOX')).toHaveLength(0);
  expect(Object.fromEntries(callCounts(calls))).toEqual({ '<before-freeze@test.example>': 1, '<while-frozen@test.example>': 1 });
  expect(watcher.status()).toMatchObject({ reconnects: 1 });
});
