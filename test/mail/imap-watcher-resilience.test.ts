// The watcher when things go wrong on a real Dovecot: a server restart in the middle of
// deliveries, a connection lost under a handler, a wrong password, and a server without the
// MOVE extension (one of them keeping the mail it was told to expunge).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SignrelayError } from '../../src/errors.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { ACL_PLUGIN, capabilitiesWithout, writeAcl } from '../support/dovecot-config.ts';
import { createImapClient } from '../../src/mail/imap-client.ts';
import { nextEvent, waitFor } from '../support/wait-for.ts';
import { callCounts, messageIds, stopAllWatchers, testMail, watch } from './watcher-harness.ts';

const PASSWORD = 'resilience-pass-8e2a';
let dovecot: DovecotHandle;

beforeAll(async () => {
  dovecot = await startDovecot({ users: { restart: PASSWORD, locked: PASSWORD, cutonce: PASSWORD, cuttwice: PASSWORD, stalled: PASSWORD } });
});
afterEach(stopAllWatchers);
afterAll(async () => dovecot?.stop());

/** LMTP is refused while Dovecot is down: keep trying, as a real MTA would. */
async function deliverPatiently(rcpt: string, raw: string): Promise<void> {
  await waitFor(() => dovecot.deliver(rcpt, raw).then(() => true), { what: `delivery to ${rcpt}`, timeoutMs: 10_000, intervalMs: 50 });
}

describe('startImapWatcher resilience', () => {
  it('reconnects with a new client after a Dovecot restart during deliveries and loses nothing', async () => {
    const total = 12;
    const { watcher, calls, clients } = watch(dovecot, 'restart', PASSWORD, { livenessIntervalMs: 500 });
    await nextEvent((fn) => watcher.on('connected', fn), { what: 'the first connect' });
    const disconnected = nextEvent<[{ error: SignrelayError | null }]>((fn) => watcher.on('disconnected', fn), { what: 'a disconnect', timeoutMs: 8_000 });
    for (let n = 1; n <= 4; n++) await dovecot.deliver('restart@corp.example', testMail(`restart-${n}`));
    await waitFor(() => calls.length >= 3, { what: 'a few mails handled before the restart', timeoutMs: 5_000 });
    // The restart runs while the rest is being delivered; LMTP refuses while Dovecot is down.
    const restarting = dovecot.restart();
    for (let n = 5; n <= total; n++) await deliverPatiently('restart@corp.example', testMail(`restart-${n}`));
    await restarting;
    const [{ error }] = await disconnected;
    expect(error).toMatchObject({ kind: 'transient' });

    const expected = Array.from({ length: total }, (_, i) => `<restart-${i + 1}@test.example>`).sort();
    // On a timeout, say where the missing mail is: still in INBOX (the watcher missed it) or
    // nowhere (the server lost a delivery it had accepted while stopping). Each look is two
    // doveadm processes reading whole folders: every 250 ms, not the default 25 ms, so the
    // wait does not load the machine it waits on.
    let inbox: Array<string | null> = [];
    await waitFor(async () => {
      inbox = messageIds(await dovecot.list('restart', 'INBOX'));
      return (await dovecot.list('restart', 'Processed')).length === total;
    }, {
      what: `${total} mails in Processed`, timeoutMs: 10_000, intervalMs: 250, describe: () => `handed over ${JSON.stringify(messageIds(calls))}; in INBOX ${JSON.stringify(inbox)}`,
    });
    expect(messageIds(await dovecot.list('restart', 'Processed'))).toEqual(expected);
    expect(await dovecot.list('restart', 'INBOX')).toHaveLength(0);
    // Every mail was handed over; at most the one in hand when the server died comes twice.
    const counts = callCounts(calls);
    expect([...counts.keys()].sort()).toEqual(expected);
    expect([...counts.values()].filter((count) => count > 1).length).toBeLessThanOrEqual(1);
    expect(clients.length).toBeGreaterThanOrEqual(2);
    expect(new Set(clients).size).toBe(clients.length);
    expect(watcher.status().reconnects).toBeGreaterThanOrEqual(1);
    await waitFor(() => watcher.status().state === 'idle', { what: 'the watcher idle again' });
  });

  /**
   * A watcher whose message retries wait 10 minutes, and whose connection is closed under the
   * handler of `id` the first `cuts` times. No liveness probe (the default 60 s interval): the
   * harness's 1 s interval allows a NOOP 500 ms, which a loaded box's Dovecot can miss — one
   * connection more than the cuts made, counted as the mail holding the folder.
   */
  function cutUnder(user: string, id: string, cuts: number) {
    let cut = 0;
    const harness = watch(dovecot, user, PASSWORD, {
      livenessIntervalMs: 60_000,
      messageRetry: { minDelayMs: 600_000, maxDelayMs: 600_000, jitter: 'full' },
      async beforeFetch(message) {
        if (message.messageId !== `<${id}@test.example>` || cut >= cuts) return;
        cut += 1;
        harness.clients.at(-1)!.close();
      },
    });
    const deferred: string[] = [];
    harness.watcher.on('deferred', (message) => deferred.push(message.messageId ?? ''));
    return { ...harness, deferred };
  }

  it('hands a mail whose download a lost connection cut off to the next connection at once, not after its retry delay', async () => {
    const { calls, clients, deferred } = cutUnder('cutonce', 'cut-once', 1);
    await dovecot.deliver('cutonce@corp.example', testMail('cut-once'));
    await waitFor(async () => (await dovecot.list('cutonce', 'Processed')).length === 1, { what: 'the mail in Processed', intervalMs: 250 });
    expect(messageIds(calls)).toEqual(['<cut-once@test.example>', '<cut-once@test.example>']);
    expect(clients.length).toBe(2);
    expect(deferred).toEqual([]);
  });

  it('defers a mail whose handler a lost connection cut off twice, as any failed mail: it cannot hold the folder', async () => {
    const { calls, clients, deferred } = cutUnder('cuttwice', 'cut-twice', 2);
    await dovecot.deliver('cuttwice@corp.example', testMail('cut-twice'));
    await waitFor(() => deferred.length === 1, { what: 'the mail deferred' });
    expect(deferred).toEqual(['<cut-twice@test.example>']);
    expect(messageIds(calls)).toEqual(['<cut-twice@test.example>', '<cut-twice@test.example>']);
    await dovecot.deliver('cuttwice@corp.example', testMail('after-it'));
    await waitFor(async () => (await dovecot.list('cuttwice', 'Processed')).length === 1, { what: 'the next mail in Processed', intervalMs: 250 });
    expect(messageIds(await dovecot.list('cuttwice', 'INBOX'))).toEqual(['<cut-twice@test.example>']);
    expect(clients.length).toBe(3);
  });

  it('keeps a connection whose NOOP answer came while its own process stood still, instead of taking the server for dead', async () => {
    // The NOOP may take 1 s (half the 2 s interval); right after sending it the process stands
    // still for 1.5 s, as on a loaded box. The answer is there when it runs again — a plain
    // timer, due at the same time, dropped the connection before it was read.
    const answered: boolean[] = [];
    const harness = watch(dovecot, 'stalled', PASSWORD, {
      livenessIntervalMs: 2_000,
      createClient: (config, logger) => {
        const client = createImapClient(config, logger);
        harness.clients.push(client);
        const noop = client.noop.bind(client);
        client.noop = () => {
          const answer = noop();
          answer.then(() => answered.push(true), () => answered.push(false));
          standStill(1_500);
          return answer;
        };
        return client;
      },
    });
    const { watcher, clients, log } = harness;
    const probeFailed = () => log.entries.some((entry) => entry.message === 'imap liveness probe failed');
    await waitFor(() => answered.length >= 2 || probeFailed(), { what: 'two stalled probes answered, or one taken as failed', timeoutMs: 20_000 });
    expect(probeFailed()).toBe(false);
    expect(answered).toEqual([true, true]);
    expect(clients).toHaveLength(1);
    expect(watcher.status().reconnects).toBe(0);
  });

  it('reports a wrong password as auth-error and backs off instead of hammering the server', async () => {
    const { watcher, clients } = watch(dovecot, 'locked', 'not-the-password-77', {
      // Deterministic delays: 400, 800, 1600 ms, plus Dovecot's ~0.5 s per failed login (its
      // per-IP auth penalty is off in the test config, so a hot loop would show).
      reconnect: { minDelayMs: 400, maxDelayMs: 5_000, jitter: 'full', random: () => 0.999999 },
    });
    const [error] = await nextEvent<[SignrelayError]>((fn) => watcher.on('error', fn), { what: 'the auth error', timeoutMs: 3_000 });
    expect(error).toMatchObject({ kind: 'auth', code: 'imap_auth_failed' });
    expect(error.message).toContain('mailboxes.requests.password');
    expect(error.message).not.toContain('not-the-password-77');
    expect(watcher.status()).toMatchObject({ state: 'auth-error', connectedSince: null });
    expect(watcher.status().nextAttemptAt).toBeInstanceOf(Date);
    // The next two attempts, however long a busy machine takes to make them: each came at
    // least its backoff delay after the one before (a hot loop would come at once).
    const attemptAt: number[] = [];
    for (let n = 0; n < 2; n++) {
      await nextEvent<[SignrelayError]>((fn) => watcher.on('error', fn), { what: `the auth error of retry ${n + 1}` });
      attemptAt.push(Date.now());
    }
    const firstDelay = 400;
    expect(attemptAt[1]! - attemptAt[0]!).toBeGreaterThanOrEqual(firstDelay * 2 - 50);
    expect(watcher.status().reconnects).toBe(clients.length - 1);
  });

  it('stops at once while it waits out a backoff, without another attempt', async () => {
    // A 10-minute backoff: a stop that waited it out would never end within the test.
    const { watcher, clients } = watch(dovecot, 'locked', 'not-the-password-77', { reconnect: { minDelayMs: 600_000, maxDelayMs: 600_000, jitter: 'full' } });
    await nextEvent<[SignrelayError]>((fn) => watcher.on('error', fn), { what: 'the auth error' });
    expect(watcher.status().nextAttemptAt!.getTime() - Date.now()).toBeGreaterThan(500_000);
    await watcher.stop();
    expect(watcher.status().state).toBe('stopped');
    expect(clients).toHaveLength(1);
  });
});

describe('startImapWatcher without the MOVE extension', () => {
  let noMove: DovecotHandle;
  beforeAll(async () => {
    noMove = await startDovecot({
      users: { oldschool: PASSWORD },
      extraConfig: capabilitiesWithout('MOVE'),
    });
  });
  afterAll(async () => noMove?.stop());

  it('moves by UID COPY + \\Deleted + UID EXPUNGE and touches no other message', async () => {
    await noMove.deliver('oldschool@corp.example', testMail('keep-me'));
    await noMove.deliver('oldschool@corp.example', testMail('move-me'));
    const { calls, log } = watch(noMove, 'oldschool', PASSWORD, {
      logLevel: 'debug',
      decide: (message) => (message.messageId === '<move-me@test.example>' ? { moveTo: 'Processed' } : { retryLater: 'not yet' }),
    });
    await waitFor(async () => (await noMove.list('oldschool', 'Processed')).length === 1, { what: 'move-me in Processed', timeoutMs: 5_000 });
    expect(messageIds(await noMove.list('oldschool', 'INBOX'))).toEqual(['<keep-me@test.example>']);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    const sent = log.entries.filter((entry) => entry.message === 'imapflow' && entry.src === 'c').map((entry) => String(entry.imapMsg));
    expect(sent.some((line) => /UID COPY 2 Processed/.test(line))).toBe(true);
    expect(sent.some((line) => /UID STORE 2 \+FLAGS.*\\Deleted/.test(line))).toBe(true);
    expect(sent.some((line) => /UID EXPUNGE 2/.test(line))).toBe(true);
    expect(sent.some((line) => /UID MOVE/.test(line))).toBe(false);
  });
});

describe('startImapWatcher without MOVE, on a server that keeps the mail (the account may not expunge)', () => {
  let keeps: DovecotHandle;
  beforeAll(async () => {
    keeps = await startDovecot({
      users: { shared: PASSWORD },
      extraConfig: `${capabilitiesWithout('MOVE')}\n${ACL_PLUGIN}`,
    });
  });
  afterAll(async () => keeps?.stop());

  it('copies a mail without a Message-ID once, however often its delete is tried again', async () => {
    // No Message-ID: a copy made before cannot be looked for in Processed; only the watcher's memory keeps it from a second.
    await keeps.deliver('shared@corp.example', 'From: helen.officer@corp.example\r\nSubject: no id\r\n\r\nbody\r\n');
    await keeps.append('shared', 'Processed', testMail('seed'));
    const acl = `${keeps.dir}/mail/shared/dovecot-acl`;
    writeAcl(acl, 'lrswitkx'); // every right but expunge (e)
    const filed = new Set<number>();
    const { watcher, calls } = watch(keeps, 'shared', PASSWORD, {
      // As the intake answers: a mail it committed before is "filed before".
      decide: (message) => (filed.has(message.uid) ? { moveTo: 'Processed', filedBefore: true } : (filed.add(message.uid), { moveTo: 'Processed' })),
    });
    await waitFor(() => calls.length >= 3, { what: 'three attempts', timeoutMs: 15_000 });
    expect((await keeps.list('shared', 'Processed')).map((m) => m.subject)).toEqual(['request seed', 'no id']);
    expect((await keeps.list('shared', 'INBOX')).map((m) => m.subject)).toEqual(['no id']);
    expect(watcher.status().lastError).toMatchObject({ code: 'imap_move_failed', message: expect.stringMatching(/kept it in "INBOX"/) });
  });
});

/** Blocks this process's event loop, as a box too loaded to run it does. */
function standStill(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else of this process runs
  }
}
