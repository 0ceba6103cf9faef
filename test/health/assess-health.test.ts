import { describe, expect, it } from 'vitest';
import { assessHealth, type HealthInput } from '../../src/health/assess-health.ts';
import { formatTable } from '../../src/cli-io/format-table.ts';
import { describeEvent } from '../../src/cli-io/describe-event.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const before = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
const watcher = (name: string, state: string, heardSecondsAgo: number | null, extra: Record<string, unknown> = {}) => ({
  component: name, state, updatedAt: before(2),
  detail: { lastHeartbeatAt: heardSecondsAgo === null ? null : before(heardSecondsAgo), reconnects: 0, lastError: null, ...extra },
});
const healthy = (): HealthInput => ({
  now: NOW, pid: 4242, watchers: ['requests', 'returns'],
  rows: [
    { component: 'daemon', state: 'running', updatedAt: before(3), detail: { pid: 4242, startedAt: before(600), version: '0.1.0' } },
    watcher('requests', 'idle', 20), watcher('returns', 'connected', 40),
  ],
  queue: { pending: 2, due: 1, oldestDueAt: before(30), retrying: 0, lastError: null, waitingForOperator: 0, operatorError: null, failed: 0, held: 0, heldSince: null },
  staleAfterMs: 30_000, heartbeatMaxAgeMs: 180_000, queueMaxDelayMs: 600_000,
});

const MB = 1024 * 1024;

describe('assessHealth', () => {
  it('is content with room for a request of limits.max_pdf_bytes on the data dir', () => {
    expect(assessHealth({ ...healthy(), dataDir: { path: '/var/lib/signrelay', freeBytes: 41 * MB + 1, maxPdfBytes: 20 * MB } }).problems).toEqual([]);
  });

  it('a running, reporting daemon with both watchers hearing from their servers is healthy', () => {
    const health = assessHealth(healthy());
    expect(health).toMatchObject({ healthy: true, problems: [], daemon: { running: true, pid: 4242, version: '0.1.0' } });
    expect(health.watchers.map((w) => [w.name, w.state, w.healthy, w.heartbeatAgeMs])).toEqual([['requests', 'idle', true, 20_000], ['returns', 'connected', true, 40_000]]);
  });

  it.each([
    ['no live process holds the data dir', (i: HealthInput) => ({ ...i, pid: undefined }), /^the daemon is not running/],
    ['the daemon stopped reporting (hung)', (i: HealthInput) => ({ ...i, rows: i.rows.map((r) => r.component === 'daemon' ? { ...r, updatedAt: before(31) } : r) }), /^the daemon \(pid 4242\) has not reported for 31 s: it may be hung/],
    ['the report is an earlier process\'s (a start not reporting yet: waiting for the write lock)', (i: HealthInput) => ({ ...i, writeLocked: () => true, rows: i.rows.map((r) => r.component === 'daemon' ? { ...r, detail: { ...r.detail, pid: 4141 } } : r) }),
      /^the daemon \(pid 4242\) has not reported yet: another process holds the write lock on signrelay\.db/],
    ['a watcher in auth-error', (i: HealthInput) => ({ ...i, rows: [i.rows[0]!, watcher('requests', 'auth-error', 20, { lastError: 'IMAP login refused: check mailboxes.requests.password' }), i.rows[2]!] }), /^the requests watcher is auth-error: IMAP login refused: check mailboxes\.requests\.password$/],
    ['a deaf watcher (connected, nothing heard for too long)', (i: HealthInput) => ({ ...i, rows: [i.rows[0]!, i.rows[1]!, watcher('returns', 'idle', 181)] }), /^the returns watcher has heard nothing from its IMAP server for 181 s$/],
    ['a watcher that never reported', (i: HealthInput) => ({ ...i, rows: i.rows.slice(0, 2) }), /^the returns watcher is not started$/],
    ['a queue that is behind', (i: HealthInput) => ({ ...i, queue: { ...i.queue, oldestDueAt: before(601), lastError: 'Secured Signing answered 503' } }), /^the job queue is behind: a job has been due for 601 s \(latest error: Secured Signing answered 503\)$/],
    ['jobs wait for an operator\'s fix (a refused credential: never due for long, never given up)', (i: HealthInput) => ({ ...i, queue: { ...i.queue, waitingForOperator: 3, operatorError: 'ServiceNow refused the login (HTTP 401): check servicenow.auth.password' } }),
      /^3 jobs wait for an operator's fix: ServiceNow refused the login \(HTTP 401\): check servicenow\.auth\.password \(fix it, then `systemctl reload signrelay` — `restart` for a credential file — tries them again at once\)$/],
    ['the data dir\'s disk is full', (i: HealthInput) => ({ ...i, dataDir: { path: '/var/lib/signrelay', freeBytes: 200_000, maxPdfBytes: 20 * MB } }), /^storage\.data_dir \/var\/lib\/signrelay is full: no request mail can be taken/],
    ['the data dir has less room than a request may need', (i: HealthInput) => ({ ...i, dataDir: { path: '/var/lib/signrelay', freeBytes: 1.6 * MB, maxPdfBytes: 20 * MB } }),
      /^storage\.data_dir \/var\/lib\/signrelay has 1\.6 MB free, less than a request may need \(41\.0 MB: a PDF of limits\.max_pdf_bytes and its stamped copy\): a request whose PDFs do not fit waits/],
    ['mails have waited in the request folder past the queue\'s limit (env review M2: a temp directory gone held them while jobs looked fine)', (i: HealthInput) => ({ ...i, rows: [i.rows[0]!,
      watcher('requests', 'idle', 20, { deferredMails: 3, deferredSince: before(601), deferredReason: 'the PDF could not be handed to its worker through the temp directory /var/tmp/x: ENOENT' }), i.rows[2]!] }),
      /^3 mails have waited in the requests folder for 601 s to be tried again \(latest: the PDF could not be handed to its worker through the temp directory \/var\/tmp\/x: ENOENT\)$/],
  ])('unhealthy when %s', (_, change, problem) => {
    const health = assessHealth(change(healthy()));
    expect(health.healthy).toBe(false);
    expect(health.problems).toHaveLength(1);
    expect(health.problems[0]).toMatch(problem);
  });

  it('a mail deferred for less than the queue\'s limit is no problem yet', () => {
    const rows = healthy().rows.map((r) => (r.component === 'requests' ? watcher('requests', 'idle', 20, { deferredMails: 1, deferredSince: before(30), deferredReason: 'Secured Signing answered 503' }) : r));
    expect(assessHealth({ ...healthy(), rows }).problems).toEqual([]);
  });

  it('on a full disk, a daemon whose report is stale is said to be unable to write it, not hung', () => {
    const health = assessHealth({ ...healthy(), dataDir: { path: '/var/lib/signrelay', freeBytes: 0, maxPdfBytes: 20 * MB }, rows: healthy().rows.map((r) => r.component === 'daemon' ? { ...r, updatedAt: before(36) } : r) });
    expect(health.problems).toEqual([
      expect.stringMatching(/^storage\.data_dir \/var\/lib\/signrelay is full/),
      'the daemon (pid 4242) has not reported for 36 s: it cannot write its report to the full disk',
    ]);
  });

  it('names the instance\'s unit in its fixes (signrelay@NAME)', () => {
    expect(assessHealth({ ...healthy(), pid: undefined, unit: 'signrelay@hr' }).problems).toEqual(['the daemon is not running (no live process holds the data dir): start it with `systemctl start signrelay@hr`']);
    expect(assessHealth({ ...healthy(), unit: 'signrelay@hr', queue: { ...healthy().queue, waitingForOperator: 1, operatorError: 'refused' } }).problems[0]).toContain('`systemctl reload signrelay@hr`');
  });

  // A daemon run by hand (the sandbox's, a container's) is no unit: `systemctl … signrelay`
  // acted on another signrelay, or on none (newcomer review L4, left last stop).
  it('names a daemon\'s own commands when its last report says it ran by hand: `signrelay run`, a SIGHUP by its pid file, a stop and a start', () => {
    const byHand = (i: HealthInput): HealthInput => ({ ...i, dataDir: { path: '/tmp/sandbox/data', freeBytes: 100 * MB, maxPdfBytes: 20 * MB },
      rows: i.rows.map((r) => r.component === 'daemon' ? { ...r, detail: { ...r.detail, underSystemd: false } } : r) });
    expect(assessHealth(byHand({ ...healthy(), pid: undefined })).problems).toEqual(['the daemon is not running (no live process holds the data dir): start it with `signrelay run`']);
    expect(assessHealth(byHand({ ...healthy(), queue: { ...healthy().queue, waitingForOperator: 1, operatorError: 'refused' } })).problems).toEqual([
      '1 job waits for an operator\'s fix: refused (fix it, then `kill -HUP "$(cat /tmp/sandbox/data/signrelay.pid)"` — a stop and a start for a credential file — tries them again at once)']);
    // Under systemd, or a report from before it said: the unit's.
    expect(assessHealth({ ...healthy(), pid: undefined, rows: healthy().rows.map((r) => r.component === 'daemon' ? { ...r, detail: { ...r.detail, underSystemd: true } } : r) }).problems[0]).toContain('`systemctl start signrelay`');
  });

  it('does not blame the watchers of a daemon that is not running (their last report is history)', () => {
    const health = assessHealth({ ...healthy(), pid: undefined });
    expect(health.watchers.every((w) => !w.healthy && w.state === 'unknown')).toBe(true);
    expect(health.problems).toHaveLength(1);
  });
});

describe('formatTable', () => {
  it('pads every column but the last to its widest cell and shows empty cells as "-"', () => {
    expect(formatTable(['ID', 'STATE', 'REASON'], [['r_1', 'sent', null], ['r_22', 'rejected', 'no PDF']])).toBe(
      'ID    STATE     REASON\n' +
      'r_1   sent      -\n' +
      'r_22  rejected  no PDF');
  });

  it('counts code points, not UTF-16 units, so names outside the BMP do not shift the columns', () => {
    // U+1D49C (mathematical script A) is one character but two UTF-16 units.
    expect(formatTable(['NAME', 'X'], [['\u{1D49C}nn', 1], ['Ann', 2]])).toBe('NAME  X\n\u{1D49C}nn   1\nAnn   2');
  });
});

describe('describeEvent', () => {
  const event = (e: Partial<Parameters<typeof describeEvent>[0]>) => describeEvent({ id: 1, at: NOW.toISOString(), requestId: 'r_1', kind: 'note', ...e });
  it.each([
    [{ kind: 'transition' as const, toState: 'received' as const }, 'received', ''],
    [{ kind: 'transition' as const, fromState: 'sent' as const, toState: 'failed' as const, detail: { reason: 'ServiceNow refused: 403' } }, 'sent → failed: ServiceNow refused: 403', ''],
    [{ kind: 'effect' as const, detail: { effect: 'attachment', phase: 'done', sysId: 'abc' } }, 'attachment done', 'sysId=abc'],
    [{ kind: 'mail' as const, detail: { sent: 'reply', to: ['a@corp.example'] } }, 'mail sent (reply)', 'to=["a@corp.example"]'],
    [{ kind: 'note' as const, detail: { purged: true, deleted: ['a'.repeat(64), 'b'.repeat(64)], kept: [], retentionDays: 90 } },
      'files deleted by retention after 90 days (2)', 'the PDFs can no longer be sent or delivered'],
    [{ kind: 'note' as const, detail: { purged: true, deleted: [], kept: ['a'.repeat(64)], retentionDays: 30 } },
      'files deleted by retention after 30 days (0; 1 kept for another request)', 'the PDFs can no longer be sent or delivered'],
  ])('%o → %s', (e, what, detail) => {
    expect(event(e)).toMatchObject({ what, detail });
  });
});

describe('a bounced operator alert', () => {
  it('is a problem, with who, when, the mail system\'s words and the fix: the alert channel cannot say it', () => {
    const latest = { at: '2026-12-05T21:00:00.000Z', to: 'ops@corp.example', reason: 'ops@corp.example: Status 5.2.2: 552 mailbox full' };
    expect(assessHealth({ ...healthy(), alertBounces: { count: 2, latest } }).problems).toEqual([
      '2 operator alerts bounced within the day, the latest (to ops@corp.example, 2026-12-05T21:00:00.000Z): ops@corp.example: Status 5.2.2: 552 mailbox full — alerts do not reach the operators by mail: fix alerts.to and `systemctl reload signrelay`, and read the log\'s alerts meanwhile',
    ]);
    expect(assessHealth({ ...healthy(), alertBounces: { count: 0, latest: null } }).healthy).toBe(true);
  });
});

describe('the quota of an account both watchers share (diff review 26 L3)', () => {
  const reading = (used: number, folders: string[]) => ({ quota: { account: 'sign on imap.corp.example', resource: 'storage', used, limit: 1_000_000, folders, readAt: before(60) } });
  const withQuotas = (requests: number, returns: number, order: 'requests first' | 'returns first') => {
    const rows = [watcher('requests', 'idle', 20, reading(requests, ['Processed', 'Rejected'])), watcher('returns', 'idle', 20, reading(returns, ['Completed', 'Unmatched']))];
    const input = healthy();
    return assessHealth({ ...input, rows: [input.rows[0]!, ...(order === 'requests first' ? rows : rows.reverse())] }).problems;
  };

  it.each(['requests first', 'returns first'] as const)('is judged by the fuller reading, whichever row comes last (%s)', (order) => {
    expect(withQuotas(970_000, 500_000, order)).toEqual([expect.stringMatching(/^the IMAP account sign on imap\.corp\.example is full \(storage 0\.9 MB of 1\.0 MB \(97 %\)\): .* — expire old mail from (Processed, Rejected, Completed, Unmatched|Completed, Unmatched, Processed, Rejected) /)]);
    expect(withQuotas(500_000, 970_000, order)).toEqual([expect.stringMatching(/is full \(storage 0\.9 MB of 1\.0 MB \(97 %\)\)/)]);
  });

  it('reads the storage fields of a status written by a daemon from before', () => {
    const input = healthy();
    const old = watcher('requests', 'idle', 20, { quota: { account: 'sign on imap.corp.example', usedBytes: 970_000, limitBytes: 1_000_000, folders: ['Processed'], readAt: before(60) } });
    expect(assessHealth({ ...input, rows: [input.rows[0]!, old, input.rows[2]!] }).problems).toEqual([expect.stringMatching(/^the IMAP account sign on imap\.corp\.example is full \(storage 0\.9 MB of 1\.0 MB \(97 %\)\)/)]);
  });
});
