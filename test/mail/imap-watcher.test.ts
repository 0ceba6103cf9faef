// The IMAP watcher on a real Dovecot: catch-up, IDLE, moves, deferred retries, folder
// creation, UIDVALIDITY change, heartbeat and graceful stop. One Dovecot for the file, one
// user per test so tests cannot see each other's mail.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectImapClient, createImapClient } from '../../src/mail/imap-client.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { nextEvent, waitFor } from '../support/wait-for.ts';
import { account, callCounts, messageIds, stopAllWatchers, testMail, watch } from './watcher-harness.ts';

const PASSWORD = 'watcher-pass-4c1d';
const USERS = ['stepback', 'fairness', 'known', 'catchup', 'idle', 'retry', 'folders', 'selfmove', 'uidv', 'heartbeat', 'graceful', 'halfmove', 'twins', 'oddid', 'waiting', 'shared'] as const;
let dovecot: DovecotHandle;

beforeAll(async () => {
  dovecot = await startDovecot({ users: Object.fromEntries(USERS.map((user) => [user, PASSWORD])) });
});
afterEach(stopAllWatchers);
afterAll(async () => dovecot?.stop());

const inFolder = (user: string, folder: string) => dovecot.list(user, folder);

/** Appends each mail with the arrival time given, then copies the ones asked for to Processed (a MOVE that stopped after its copy). */
async function arrange(user: string, mails: Array<{ folder: string; raw: string; at: string; copyToProcessed?: boolean }>): Promise<void> {
  const client = await connectImapClient(account(dovecot, user, PASSWORD), 'requests', createTestLogger('info').logger);
  try {
    for (const { folder, raw, at, copyToProcessed } of mails) {
      if (!(await client.list()).some((entry) => entry.path === folder)) await client.mailboxCreate(folder);
      const appended = await client.append(folder, raw, [], new Date(at));
      if (!copyToProcessed) continue;
      if (!(await client.list()).some((entry) => entry.path === 'Processed')) await client.mailboxCreate('Processed');
      const lock = await client.getMailboxLock(folder);
      try {
        expect(await client.messageCopy(String(appended && appended.uid), 'Processed', { uid: true })).toBeTruthy();
      } finally {
        lock.release();
      }
    }
  } finally {
    await client.logout();
  }
}

describe('startImapWatcher', () => {
  it('catches up on mail delivered before it started, then moves it where the handler said', async () => {
    await dovecot.deliver('catchup@corp.example', testMail('early-1'), 'helen.officer@corp.example');
    await dovecot.deliver('catchup+hr@corp.example', testMail('early-2', { subject: 'reject me' }));
    const { watcher, calls } = watch(dovecot, 'catchup', PASSWORD, {
      decide: (message) => ({ moveTo: message.messageId === '<early-2@test.example>' ? 'Rejected' : 'Processed' }),
    });
    await waitFor(async () => (await inFolder('catchup', 'INBOX')).length === 0, { what: 'INBOX emptied', timeoutMs: 5_000 });
    expect(messageIds(await inFolder('catchup', 'Processed'))).toEqual(['<early-1@test.example>']);
    expect(messageIds(await inFolder('catchup', 'Rejected'))).toEqual(['<early-2@test.example>']);
    const first = calls[0]!;
    expect(first).toMatchObject({ mailbox: 'requests', folder: 'INBOX', uid: 1, messageId: '<early-1@test.example>', envelopeFrom: 'helen.officer@corp.example' });
    // Keyed by its place: a UID is one mail only in this account's folder, for this UIDVALIDITY.
    expect(first.place).toBe(`imap://catchup@127.0.0.1/INBOX;UIDVALIDITY=${await dovecot.uidValidity('catchup', 'INBOX')}`);
    expect(first.size).toBeGreaterThan(testMail('early-1').length); // Dovecot added Return-Path/Received
    await expect(first.fetchSource()).rejects.toMatchObject({ code: 'imap_source_outside_handler' });
    expect(watcher.status()).toMatchObject({ state: 'idle', reconnects: 0, uidValidity: await dovecot.uidValidity('catchup', 'INBOX') });
  });

  it('handles mail delivered while idling (after Dovecot\'s ~0.5 s IDLE notice) and downloads it on request', async () => {
    const sources: string[] = [];
    const { watcher } = watch(dovecot, 'idle', PASSWORD, {
      livenessIntervalMs: 30_000, // no NOOP polling: the notice must come from IDLE
      decide: (_message, source) => {
        sources.push(source.toString());
        return { moveTo: 'Processed' };
      },
    });
    await waitFor(() => watcher.status().state === 'idle', { what: 'the watcher to idle' });
    const processed = nextEvent<[{ messageId: string | null }, string]>((fn) => watcher.on('processed', fn), { what: 'processed' });
    const deliveredAt = Date.now();
    await dovecot.deliver('idle@corp.example', testMail('live-1', { body: 'Please sign the attached.' }));
    const [message, folder] = await processed;
    expect(message.messageId).toBe('<live-1@test.example>');
    expect(folder).toBe('Processed');
    // Sooner than the first NOOP could have found it: IDLE told the watcher.
    expect(Date.now() - deliveredAt).toBeLessThan(30_000);
    expect(sources[0]).toContain('Please sign the attached.');
    expect(sources[0]).toContain('Delivered-To: idle@corp.example');
    expect(messageIds(await inFolder('idle', 'Processed'))).toEqual(['<live-1@test.example>']);
  });

  it('leaves a retryLater message in the folder and retries it with growing delays, without holding up others', async () => {
    const attempts: number[] = [];
    // The second attempt waits until the test has looked at the folder: on a loaded box the
    // look (a doveadm process) took longer than the retries and found the mail moved already.
    let lookedAtInbox = () => {};
    const looked = new Promise<void>((resolve) => (lookedAtInbox = resolve));
    const { watcher, calls } = watch(dovecot, 'retry', PASSWORD, {
      messageRetry: { minDelayMs: 300, maxDelayMs: 2_000, jitter: 'full' },
      decide: async (message) => {
        if (message.messageId !== '<flaky@test.example>') return { moveTo: 'Processed' };
        attempts.push(Date.now());
        if (attempts.length === 2) await looked;
        return attempts.length < 3 ? { retryLater: 'provider unavailable' } : { moveTo: 'Processed' };
      },
    });
    const deferred = nextEvent<[{ uid: number }, string, number]>((fn) => watcher.on('deferred', fn), { what: 'the first deferral' });
    await dovecot.deliver('retry@corp.example', testMail('flaky'));
    const [, reason, retryInMs] = await deferred;
    expect(reason).toBe('provider unavailable');
    expect(retryInMs).toBeGreaterThanOrEqual(300);
    expect(messageIds(await inFolder('retry', 'INBOX'))).toEqual(['<flaky@test.example>']);
    lookedAtInbox();
    // A new mail triggers a pass; the deferred one is skipped until due, the new one moves on.
    await dovecot.deliver('retry@corp.example', testMail('steady'));
    await waitFor(async () => messageIds(await inFolder('retry', 'Processed')).includes('<steady@test.example>'), { what: 'steady in Processed', timeoutMs: 3_000 });
    await waitFor(async () => (await inFolder('retry', 'INBOX')).length === 0, { what: 'flaky moved at its third attempt', timeoutMs: 6_000 });
    expect(attempts).toHaveLength(3);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(290);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(290);
    expect(callCounts(calls).get('<steady@test.example>')).toBe(1);
  });

  it('a mail deferred again and again is logged as a warning from the third time (env review M2: a full temp directory showed only at info)', async () => {
    let attempts = 0;
    const { log } = watch(dovecot, 'retry', PASSWORD, {
      messageRetry: { minDelayMs: 50, maxDelayMs: 100, jitter: 'full' },
      decide: async (message) => (message.messageId === '<stuck@test.example>' && ++attempts <= 3 ? { retryLater: 'the temp directory is full' } : { moveTo: 'Processed' }),
    });
    await dovecot.deliver('retry@corp.example', testMail('stuck'));
    await waitFor(async () => messageIds(await inFolder('retry', 'Processed')).includes('<stuck@test.example>'), { what: 'stuck moved at its fourth attempt' });
    const deferrals = log.entries.filter((e) => e.message === 'mail deferred').map((e) => e.level);
    expect(deferrals).toEqual(['info', 'info', 'warn']);
  });

  it('retries a deferred mail after its delay although the wall clock was stepped back an hour', async () => {
    const realNow = Date.now.bind(Date);
    let secondTry = () => {};
    const retried = new Promise<void>((resolve) => (secondTry = resolve));
    let tries = 0;
    const { watcher } = watch(dovecot, 'stepback', PASSWORD, {
      messageRetry: { minDelayMs: 300, maxDelayMs: 300, jitter: 'full' },
      decide: () => {
        tries += 1;
        if (tries > 1) {
          secondTry();
          return { moveTo: 'Processed' };
        }
        return { retryLater: 'provider unavailable' };
      },
    });
    // An NTP step back just after the mail was deferred: its retry is an in-memory wait.
    watcher.on('deferred', () => vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 3_600_000));
    try {
      await dovecot.deliver('stepback@corp.example', testMail('stepped'));
      // Its delay is 300 ms at most; counted by the wall clock it would be an hour and 300 ms.
      await Promise.race([retried, new Promise((_, reject) => setTimeout(() => reject(new Error('the deferred mail was not tried again')), 20_000))]);
    } finally {
      vi.restoreAllMocks();
    }
    expect(tries).toBe(2);
  });

  it('hands one sender\'s many mails over in turn with others\', not all before them', async () => {
    // All there when it first looks: ten of one sender, then another's.
    for (let n = 1; n <= 10; n++) await dovecot.deliver('fairness@corp.example', testMail(`flood-${n}`, { from: 'Flow <flow@corp.example>' }));
    await dovecot.deliver('fairness@corp.example', testMail('real'));
    const order: string[] = [];
    // The ranges the folder is listed by: whole at the pass's start, then only what came since.
    const listings: string[] = [];
    watch(dovecot, 'fairness', PASSWORD, {
      concurrency: 1, // four of one sender per pass, then the folder is listed again
      createClient: (config, logger) => {
        const client = createImapClient(config, logger);
        const fetchAll = client.fetchAll.bind(client);
        client.fetchAll = ((range: string, query: { envelope?: boolean }, options?: { uid?: boolean }) => {
          if (query.envelope) listings.push(`${range}${options?.uid ? ' (UIDs)' : ''}`);
          return fetchAll(range, query, options);
        }) as typeof client.fetchAll;
        return client;
      },
      decide: (message) => {
        order.push(message.messageId!);
        return { moveTo: 'Processed' };
      },
    });
    await waitFor(async () => (await inFolder('fairness', 'Processed')).length === 11, { what: 'all eleven filed', timeoutMs: 20_000 });
    expect(order.indexOf('<real@test.example>')).toBe(1);
    expect(order.filter((id) => id.startsWith('<flood-'))).toEqual(Array.from({ length: 10 }, (_, i) => `<flood-${i + 1}@test.example>`));
    expect(listings[0]).toBe('1:*');
    expect(listings.length).toBeGreaterThan(1);
    expect(listings.some((range) => range.endsWith('(UIDs)'))).toBe(true); // listed again within the pass: new UIDs only
    expect(listings.slice(1).every((range) => range === '1:*' || /^\d+:\* \(UIDs\)$/.test(range))).toBe(true);
    expect(listings.filter((range) => range.endsWith('(UIDs)')).every((range) => Number(range.split(':')[0]) > 11)).toBe(true);
  });

  it('takes a known sender\'s mail that came during a flood of forged senders within a few mails, not after the flood', async () => {
    // Twenty mails, each from a new address (a flood forging a colleague each time), then one
    // from a requester the daemon knows, delivered while the first of the flood is handled.
    for (let n = 1; n <= 20; n++) await dovecot.deliver('known@corp.example', testMail(`forged-${n}`, { from: `colleague${n}@corp.example` }));
    const order: string[] = [];
    watch(dovecot, 'known', PASSWORD, {
      concurrency: 1, // four mails a listing
      knownSenders: () => new Set(['helen.officer@corp.example']),
      decide: async (message) => {
        order.push(message.messageId!);
        if (order.length === 1) await dovecot.deliver('known@corp.example', testMail('helen'));
        return { moveTo: 'Processed' };
      },
    });
    await waitFor(async () => (await inFolder('known', 'Processed')).length === 21, { what: 'all twenty-one filed', timeoutMs: 30_000 });
    expect(order.indexOf('<helen@test.example>')).toBeLessThanOrEqual(5);
    expect(new Set(order).size).toBe(21);
  });

  // instances review H1: another signrelay on the same folder took every mail too, and both
  // MOVEs answered OK — nothing told that each request went out twice.
  it('tells when a mail was gone as it was filed: another program took it meanwhile', async () => {
    // The server is believed once it named what it moved on this connection (diff review 19 M2).
    await dovecot.deliver('shared@corp.example', testMail('mine-0'));
    await dovecot.deliver('shared@corp.example', testMail('taken-1'));
    const taken: Array<string | null> = [];
    const { watcher } = watch(dovecot, 'shared', PASSWORD, {
      onTakenElsewhere: (message) => taken.push(message.messageId),
      // Once this watcher has read it, "another signrelay" files the same mail.
      decide: async (message) => {
        const other = await connectImapClient(account(dovecot, 'shared', PASSWORD), 'requests', createTestLogger('info').logger);
        try {
          const lock = await other.getMailboxLock('INBOX');
          try {
            if (message.messageId === '<taken-1@test.example>') {
              const moved = await other.messageMove(String(message.uid), 'Processed', { uid: true });
              expect(moved && moved.uidMap?.has(message.uid)).toBe(true);
            }
          } finally {
            lock.release();
          }
        } finally {
          await other.logout();
        }
        return { moveTo: 'Processed' };
      },
    });
    await waitFor(() => taken.length === 1, { what: 'the taken mail told', timeoutMs: 10_000 });
    expect(taken).toEqual(['<taken-1@test.example>']);
    await waitFor(async () => (await inFolder('shared', 'Processed')).length === 2, { what: 'both mails filed', timeoutMs: 10_000 });

    // A mail nobody else took is filed without a word.
    await dovecot.deliver('shared@corp.example', testMail('mine-1'));
    await waitFor(async () => (await inFolder('shared', 'Processed')).length === 3, { what: 'the third mail filed', timeoutMs: 10_000 });
    expect(taken).toEqual(['<taken-1@test.example>']);
  });

  it('creates missing folders at connect, and a handler-chosen folder on first use', async () => {
    expect(await dovecot.folders('folders')).toEqual(['INBOX']);
    const { watcher } = watch(dovecot, 'folders', PASSWORD, { decide: () => ({ moveTo: 'Unmatched' }) });
    await nextEvent((fn) => watcher.on('connected', fn), { what: 'connected' });
    expect((await dovecot.folders('folders')).sort()).toEqual(['INBOX', 'Processed', 'Rejected']);
    await dovecot.deliver('folders@corp.example', testMail('odd-one'));
    await waitFor(async () => (await inFolder('folders', 'Unmatched')).length === 1, { what: 'mail in the new Unmatched folder', timeoutMs: 4_000 });
    expect(await inFolder('folders', 'INBOX')).toHaveLength(0);
  });

  it('refuses to move a message into the watched folder itself (that would loop forever)', async () => {
    const { watcher } = watch(dovecot, 'selfmove', PASSWORD, { decide: () => ({ moveTo: 'INBOX' }) });
    const failed = nextEvent<[{ code: string }]>((fn) => watcher.on('error', fn), { what: 'the refusal', timeoutMs: 4_000 });
    await dovecot.deliver('selfmove@corp.example', testMail('boomerang'));
    const [error] = await failed;
    expect(error.code).toBe('imap_move_to_watched_folder');
    expect(messageIds(await inFolder('selfmove', 'INBOX'))).toEqual(['<boomerang@test.example>']);
  });

  it('notices a UIDVALIDITY change, reports it and handles the mail that arrives after it', async () => {
    const changes: Array<[string, string, string]> = [];
    const { watcher, calls } = watch(dovecot, 'uidv', PASSWORD, {
      livenessIntervalMs: 300,
      onUidValidityChange: (folder, oldValue, newValue) => changes.push([folder, oldValue, newValue]),
    });
    await dovecot.deliver('uidv@corp.example', testMail('before-change'));
    await waitFor(() => calls.length === 1, { what: 'the first mail handled', timeoutMs: 4_000 });
    const { before, after } = await dovecot.recreateMailbox('uidv', 'INBOX');
    expect(after).not.toBe(before);
    await waitFor(() => changes.length === 1, { what: 'the UIDVALIDITY callback', timeoutMs: 5_000 });
    expect(changes[0]).toEqual(['INBOX', before, after]);
    await dovecot.deliver('uidv@corp.example', testMail('after-change'));
    await waitFor(() => calls.some((call) => call.messageId === '<after-change@test.example>'), { what: 'the new mail handled', timeoutMs: 5_000 });
    expect(calls.at(-1)!.place).toBe(`imap://uidv@127.0.0.1/INBOX;UIDVALIDITY=${after}`);
    expect(watcher.status().uidValidity).toBe(after);
  });

  it('advances the heartbeat while idle (NOOP liveness probe)', async () => {
    const { watcher } = watch(dovecot, 'heartbeat', PASSWORD, { livenessIntervalMs: 200 });
    await waitFor(() => watcher.status().state === 'idle', { what: 'the watcher to idle' });
    const first = watcher.status().lastHeartbeatAt!.getTime();
    let beats = 0;
    watcher.on('heartbeat', () => (beats += 1));
    await waitFor(() => beats >= 3 && watcher.status().lastHeartbeatAt!.getTime() > first, { what: 'three more heartbeats', timeoutMs: 3_000 });
    expect(watcher.status().state).toBe('idle');
  });

  it('expunges a mail filed before whose copy the target holds (a MOVE cut half-way), instead of filing a second copy', async () => {
    await arrange('halfmove', [
      { folder: 'INBOX', raw: testMail('cut-move'), at: '2026-11-30T10:00:00Z', copyToProcessed: true },
      { folder: 'INBOX', raw: testMail('crashed-before-move'), at: '2026-11-30T10:00:01Z' },
    ]);
    expect(messageIds(await inFolder('halfmove', 'Processed'))).toEqual(['<cut-move@test.example>']);
    const moved: string[] = [];
    const { watcher, log } = watch(dovecot, 'halfmove', PASSWORD, { decide: () => ({ moveTo: 'Processed', filedBefore: true }) });
    watcher.on('processed', (message, folder) => moved.push(`${message.messageId} ${folder}`));
    await waitFor(async () => (await inFolder('halfmove', 'INBOX')).length === 0, { what: 'INBOX emptied' });
    // One copy each: the first was there already, the second had never been moved.
    expect(messageIds(await inFolder('halfmove', 'Processed'))).toEqual(['<crashed-before-move@test.example>', '<cut-move@test.example>']);
    expect(moved.sort()).toEqual(['<crashed-before-move@test.example> Processed', '<cut-move@test.example> Processed']);
    expect(log.entries.filter((e) => /filed already/.test(e.message)).map((e) => e.messageId)).toEqual(['<cut-move@test.example>']);
    expect(watcher.status().state).toBe('idle');
  });

  it('files again a mail filed before when the target holds only another delivery of it (other arrival time, other content, another recipient), and counts each copy once', async () => {
    const other = testMail('twin', { body: 'Another text under the same Message-ID.' });
    // One mail delivered to two addresses of the same length in the same second: same size, one header line apart.
    const deliveredTo = (address: string) => `Delivered-To: ${address}\r\n${testMail('fork')}`;
    await arrange('twins', [
      { folder: 'Processed', raw: deliveredTo('sign+hr@corp.example'), at: '2026-11-30T09:00:00Z' },
      { folder: 'INBOX', raw: deliveredTo('sign+it@corp.example'), at: '2026-11-30T09:00:00Z' },
      { folder: 'Processed', raw: testMail('resent'), at: '2026-11-29T08:00:00Z' },
      { folder: 'Processed', raw: other, at: '2026-11-30T09:00:00Z' },
      { folder: 'INBOX', raw: testMail('resent'), at: '2026-11-30T09:00:00Z' },
      // Two identical mails that arrived in the same second, and one copy of them in Processed.
      { folder: 'INBOX', raw: testMail('twin'), at: '2026-11-30T09:00:00Z', copyToProcessed: true },
      { folder: 'INBOX', raw: testMail('twin'), at: '2026-11-30T09:00:00Z' },
    ]);
    const { log } = watch(dovecot, 'twins', PASSWORD, { decide: () => ({ moveTo: 'Processed', filedBefore: true }) });
    await waitFor(async () => (await inFolder('twins', 'INBOX')).length === 0, { what: 'INBOX emptied' });
    expect(messageIds(await inFolder('twins', 'Processed'))).toEqual([
      '<fork@test.example>', '<fork@test.example>', '<resent@test.example>', '<resent@test.example>', '<twin@test.example>', '<twin@test.example>', '<twin@test.example>',
    ]);
    expect(log.entries.filter((e) => /filed already/.test(e.message))).toHaveLength(1);
  });

  it('looks up a Message-ID the sender shaped (quotes, backslashes, non-ASCII, IMAP specials) as plain text, and never sticks on one', async () => {
    const shaped = ['<q"uo\\te(d)@x.example>', '<m\u00fcller*%{3}@x.example>', `<${'l'.repeat(900)}@x.example>`];
    const raw = (id: string) => testMail('odd').replace('Message-ID: <odd@test.example>', `Message-ID: ${id}`);
    await arrange('oddid', shaped.map((id, i) => ({ folder: 'INBOX', raw: raw(id), at: `2026-11-30T10:00:0${i}Z`, copyToProcessed: true })));
    const { watcher } = watch(dovecot, 'oddid', PASSWORD, { decide: () => ({ moveTo: 'Processed', filedBefore: true }) });
    await waitFor(async () => (await inFolder('oddid', 'INBOX')).length === 0, { what: 'INBOX emptied' });
    const filed = await inFolder('oddid', 'Processed');
    expect(filed).toHaveLength(shaped.length);
    expect(watcher.status()).toMatchObject({ state: 'idle', reconnects: 0 });
  });

  it('stops gracefully: finishes and moves the message in hand, then logs out', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const { watcher, log } = watch(dovecot, 'graceful', PASSWORD, {
      decide: async () => {
        order.push('handler started');
        await held;
        order.push('handler finished');
        return { moveTo: 'Processed' };
      },
    });
    await dovecot.deliver('graceful@corp.example', testMail('in-hand'));
    await waitFor(() => order.length === 1, { what: 'the handler to start', timeoutMs: 4_000 });
    const stopped = watcher.stop().then(() => order.push('stop resolved'));
    // stop() has reached its wait for the mail in hand (and said so), and has not resolved.
    await waitFor(() => log.entries.some((e) => e.message === 'imap watcher stopping: finishing the mail in hand first'), { what: 'stop() waiting for the mail in hand' });
    expect(order).toEqual(['handler started']);
    order.push('releasing');
    release();
    await stopped;
    expect(order).toEqual(['handler started', 'releasing', 'handler finished', 'stop resolved']);
    expect(watcher.status().state).toBe('stopped');
    expect(messageIds(await inFolder('graceful', 'Processed'))).toEqual(['<in-hand@test.example>']);
    await waitFor(() => /imap\(graceful\).*Disconnected: Logged out/.test(dovecot.log()), { what: 'a LOGOUT in the Dovecot log', timeoutMs: 2_000 });
  });
});

describe('what the watcher reports of the mails it holds back', () => {
  it('how many wait, since when, and why the latest did; nothing once they are filed', async () => {
    let attempts = 0;
    let release = false;
    const { watcher } = watch(dovecot, 'waiting', PASSWORD, {
      messageRetry: { minDelayMs: 50, maxDelayMs: 100, jitter: 'full' },
      decide: async () => (release ? { moveTo: 'Processed' } : (attempts++, { retryLater: 'the temp directory is full' })),
    });
    const before = Date.now();
    await dovecot.deliver('waiting@corp.example', testMail('held'));
    await waitFor(() => attempts >= 2, { what: 'the mail deferred twice' });
    const held = watcher.status().deferred;
    expect(held).toMatchObject({ mails: 1, reason: 'the temp directory is full' });
    expect(held.since!.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    release = true;
    await waitFor(async () => messageIds(await inFolder('waiting', 'Processed')).includes('<held@test.example>'), { what: 'the mail filed' });
    await waitFor(() => watcher.status().deferred.mails === 0, { what: 'nothing held back' });
    expect(watcher.status().deferred).toEqual({ mails: 0, since: null, reason: null });
  });
});
