// The account's quota, as each watcher reads it (quota review H1, L1): at its quota Dovecot
// refuses every new request mail at delivery — the requester gets a bounce — while the
// watcher goes on filing what it has (a MOVE within the account is not charged), so nothing
// else it sees tells. It asks the server (GETQUOTAROOT) after connecting and every
// quotaIntervalMs, not at every pass, and says so; a server without QUOTA is told once, and a
// quota read that fails breaks nothing. On a server that charges the filing (no MOVE: a COPY),
// a mail refused for the quota is an error of its own that names the quota and the fix.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createImapClient } from '../../src/mail/imap-client.ts';
import { QUOTA_READ_INTERVAL_MS, type WatcherQuota } from '../../src/mail/imap-watcher.ts';
import { assessHealth } from '../../src/health/assess-health.ts';
import { watcherDetail } from '../../src/health/status-reporter.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { capabilitiesWithout, quotaPlugin } from '../support/dovecot-config.ts';
import { fillerMail, fillPastQuota } from '../support/full-account.ts';
import { nextEvent, waitFor } from '../support/wait-for.ts';
import { stopAllWatchers, testMail, watch } from './watcher-harness.ts';

const PASSWORD = 'quota-pass-7310';
let quota: DovecotHandle;

beforeAll(async () => {
  // Three accounts of 1 MB each: with room, 85 % full (nearly), 97 % full.
  quota = await startDovecot({ users: { roomy: PASSWORD, nearly: PASSWORD, full: PASSWORD }, extraConfig: quotaPlugin('1M') });
  await quota.append('nearly', 'Processed', fillerMail('filed-nearly', 870_000));
  await quota.append('full', 'Processed', fillerMail('filed-full', 1_015_000));
});
afterEach(stopAllWatchers);
afterAll(async () => quota?.stop());

const health = (rows: Array<{ component: string; state: string; detail: Record<string, unknown> }>) => assessHealth({
  now: new Date(), pid: 1, watchers: rows.map((r) => r.component), staleAfterMs: 30_000, heartbeatMaxAgeMs: 180_000, queueMaxDelayMs: 600_000,
  queue: { pending: 0, due: 0, oldestDueAt: null, lastError: null, waitingForOperator: 0, operatorError: null, held: 0, heldSince: null, failed: 0 } as never,
  rows: [{ component: 'daemon', state: 'running', detail: { pid: 1 }, updatedAt: new Date().toISOString() }, ...rows.map((r) => ({ ...r, updatedAt: new Date().toISOString() }))],
});

describe('the account quota, read by the watcher', () => {
  it('an account 85 % full: read after connecting, a warning naming the fix, an event, and a status and health problem', async () => {
    const harness = watch(quota, 'nearly', PASSWORD, { filingFolders: ['Processed', 'Rejected'] });
    const [read, level] = await nextEvent<[WatcherQuota, string]>((fn) => harness.watcher.on('quota', fn), { what: 'the quota read' });
    expect(level).toBe('nearly-full');
    expect(read).toMatchObject({ account: `nearly on ${quota.host}`, resource: 'storage', limit: 1024 * 1024, folders: ['Processed', 'Rejected'] });
    expect(read.used / read.limit).toBeGreaterThan(0.8);
    expect(harness.watcher.status().quota).toEqual(read);
    const warned = harness.log.entries.filter((e) => String(e.message).startsWith('the IMAP account is nearly full'));
    expect(warned).toEqual([expect.objectContaining({ level: 'warn', account: `nearly on ${quota.host}`, quota: expect.stringMatching(/^storage 0\.8 MB of 1\.0 MB \(8\d %\)$/) })]);
    expect(String(warned[0]!.message)).toMatch(/the larger request mails may already bounce back to their requesters.*expire old mail from Processed, Rejected .*or raise the account's quota/);

    const report = health([{ component: 'requests', state: 'idle', detail: watcherDetail(harness.watcher.status()) }]);
    expect(report.healthy).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/^the IMAP account nearly on 127\.0\.0\.1 is nearly full \(storage 0\.8 MB of 1\.0 MB \(8\d %\)\): the larger request mails may already bounce.* — expire old mail from Processed, Rejected/)]);
  });

  it('an account 97 % full is full: an error, and the request and return watchers of one account are one problem naming the folders of both', async () => {
    const requests = watch(quota, 'full', PASSWORD, { filingFolders: ['Processed', 'Rejected'] });
    const returns = watch(quota, 'full', PASSWORD, { name: 'returns', folder: 'Returns', ensureFolders: ['Returns', 'Completed', 'Unmatched'] });
    const [, level] = await nextEvent<[WatcherQuota, string]>((fn) => requests.watcher.on('quota', fn), { what: 'the quota read' });
    expect(level).toBe('full');
    await waitFor(() => returns.watcher.status().quota, { what: 'the return watcher\'s quota read' });
    expect(returns.watcher.status().quota!.folders).toEqual(['Completed', 'Unmatched']);
    expect(requests.log.entries.filter((e) => String(e.message).startsWith('the IMAP account is full'))).toEqual([expect.objectContaining({ level: 'error' })]);
    const report = health([
      { component: 'requests', state: 'idle', detail: watcherDetail(requests.watcher.status()) },
      { component: 'returns', state: 'idle', detail: watcherDetail(returns.watcher.status()) },
    ]);
    expect(report.problems).toEqual([expect.stringMatching(/^the IMAP account full on 127\.0\.0\.1 is full \(storage \d\.\d MB of 1\.0 MB \(9\d %\)\): request mails will bounce back to their requesters, and signrelay never sees them: the larger ones first .*every one once the account reaches it — expire old mail from Processed, Rejected, Completed, Unmatched /)]);
  });

  it('is read again every quotaIntervalMs, not at every pass', async () => {
    expect(QUOTA_READ_INTERVAL_MS).toBeGreaterThanOrEqual(10 * 60_000);
    const slow = watch(quota, 'roomy', PASSWORD);
    await waitFor(() => slow.watcher.status().quota, { what: 'the first read' });
    const first = slow.watcher.status().quota!.readAt;
    expect(slow.watcher.status().quota!.used / slow.watcher.status().quota!.limit).toBeLessThan(0.8);
    for (const id of ['p1', 'p2', 'p3']) {
      await quota.deliver('roomy@corp.example', testMail(id));
      await waitFor(() => slow.calls.some((c) => c.messageId === `<${id}@test.example>`) && slow.watcher.status().state === 'idle', { what: `the pass of ${id}` });
    }
    expect(slow.watcher.status().quota!.readAt).toBe(first);
    await stopAllWatchers();

    const often = watch(quota, 'roomy', PASSWORD, { quotaIntervalMs: 1_500 });
    await waitFor(() => often.watcher.status().quota, { what: 'the first read' });
    const before = often.watcher.status().quota!.readAt;
    // The liveness timer (every second here) reads it again once the interval is over.
    await waitFor(() => often.watcher.status().quota!.readAt > before, { what: 'the second read' });
    expect(often.watcher.status().state).toMatch(/connected|idle/);
  });

  it('a quota read that fails breaks nothing: the watcher stays connected and takes mail', async () => {
    const harness = watch(quota, 'roomy', PASSWORD, {
      createClient: (config, logger) => {
        const client = createImapClient(config, logger);
        client.getQuota = () => Promise.reject(new Error('GETQUOTAROOT broke'));
        return client;
      },
    });
    await nextEvent((fn) => harness.watcher.on('connected', fn), { what: 'connected' });
    await quota.deliver('roomy@corp.example', testMail('after-broken-quota'));
    await waitFor(() => harness.calls.some((c) => c.messageId === '<after-broken-quota@test.example>'), { what: 'the mail handed over' });
    expect(harness.watcher.status().quota).toBeNull();
    expect(harness.watcher.status().reconnects).toBe(0);
    expect(harness.watcher.status().lastError).toBeNull();
  });
});

describe('a mail refused for the quota on a server that charges the filing (no MOVE, no QUOTA)', () => {
  let noMove: DovecotHandle;
  beforeAll(async () => {
    noMove = await startDovecot({ users: { u: PASSWORD }, extraConfig: capabilitiesWithout('MOVE') });
    await noMove.deliver('u@corp.example', testMail('over-quota'));
    await fillPastQuota(noMove, 'u');
  });
  afterAll(async () => noMove?.stop());

  it('is an error of its own naming the quota and the fix; the mail waits in INBOX; no QUOTA is told once', async () => {
    const harness = watch(noMove, 'u', PASSWORD, { filingFolders: ['Processed', 'Rejected'] });
    await waitFor(() => harness.watcher.status().lastError, { what: 'the refused filing' });
    const error = harness.watcher.status().lastError!;
    expect(error.code).toBe('imap_over_quota');
    expect(error.message).toMatch(/^Could not move message UID 1 from "INBOX" to "Processed": the account u on 127\.0\.0\.1 is over its quota \(the server said: \[OVERQUOTA\] Quota exceeded .*\)\. Make room: expire old mail from Processed, Rejected .*or raise the account's quota on the mail server; the mail waits in "INBOX" until then\.$/);
    const warned = harness.log.entries.filter((e) => e.level === 'warn' && String(e.message).startsWith('a mail could not be filed'));
    expect(warned[0]).toMatchObject({ message: 'a mail could not be filed: the IMAP account is over its quota; expire old mail from the folders signrelay files into, or raise the quota', server: expect.stringMatching(/OVERQUOTA/) });
    expect(harness.watcher.status().deferred.reason).toBe(error.message);
    expect((await noMove.list('u', 'INBOX')).map((m) => m.messageId)).toEqual(['<over-quota@test.example>']);
    expect(harness.watcher.status().quota).toBeNull();
    expect(harness.log.entries.filter((e) => String(e.message).startsWith('the IMAP server does not report the account\'s quota'))).toHaveLength(1);
  });
});
