import { describe, expect, it } from 'vitest';
import { createDaemonMetrics, serviceOf } from '../../src/health/daemon-metrics.ts';
import { renderPrometheus } from '../../src/health/prometheus.ts';
import { endIdlePdfWorkers, startPdfPool, stopPdfPool } from '../../src/pdf/pdf-pool.ts';
import { createDaemonEvents, type JobAttempt } from '../../src/store/daemon-events.ts';
import { enqueueJob } from '../../src/store/jobs.ts';
import { holdOpenRequests } from '../../src/store/restore-holds.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { insertRequest, transition } from '../../src/store/requests.ts';
import type { WatcherStatus } from '../../src/mail/imap-watcher.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

function newRequest(db: ReturnType<typeof openMemoryDatabase>, token: string, createdAt: Date): string {
  return insertRequest(db, {
    token, state: 'received', route: 'default', provider: 'secured-signing', requester: 'hr@corp.example', subject: 'x', messageId: null,
    record: { number: 'RITM0010001', table: 'sc_req_item' }, signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' }],
    dueDate: '2026-12-23', documents: [{ fileName: 'a.pdf', originalSha256: 'ab' }],
  }, createdAt);
}

const eventsOf = (db: ReturnType<typeof openMemoryDatabase>) => createDaemonEvents(db, (_event, err) => { throw err; });

const idle: WatcherStatus = { state: 'idle', lastHeartbeatAt: at(95), lastError: null, lastErrorAt: null, reconnects: 2, connectedSince: at(0), nextAttemptAt: null, uidValidity: '1', monotonic: { lastHeartbeat: 95_000, connectedSince: 0, nextAttempt: null }, deferred: { mails: 0, since: null, reason: null } };

describe('createDaemonMetrics', () => {
  it('times each stage from the audit trail, counting only transitions written since the process started', () => {
    const db = openMemoryDatabase();
    // Before the metrics exist: history, not counted (counters start at zero with the process).
    const old = newRequest(db, 'old', at(-1000));
    for (const s of ['stamped', 'uploaded', 'sent'] as const) transition(db, old, s, at(-990));
    const metrics = createDaemonMetrics({ db, events: eventsOf(db), watchers: { requests: { status: () => idle } }, now: () => at(100) });

    const r = newRequest(db, 'new', at(0));
    transition(db, r, 'stamped', at(1));
    transition(db, r, 'uploaded', at(2));
    transition(db, r, 'sent', at(4));
    transition(db, old, 'completed', at(50)); // sent at -990: signing took 1040 s
    let text = renderPrometheus(metrics.collect());
    expect(text).toContain('signrelay_stage_duration_seconds_bucket{stage="submit",le="5"} 1');
    expect(text).toContain('signrelay_stage_duration_seconds_sum{stage="submit"} 4');
    expect(text).toContain('signrelay_stage_duration_seconds_count{stage="signing"} 1');
    expect(text).toContain('signrelay_stage_duration_seconds_sum{stage="signing"} 1040');
    expect(text).toContain('signrelay_stage_duration_seconds_count{stage="delivery"} 0');

    // A second scrape counts nothing twice; a new transition is added.
    transition(db, old, 'delivered', at(60));
    text = renderPrometheus(metrics.collect());
    expect(text).toContain('signrelay_stage_duration_seconds_count{stage="submit"} 1');
    expect(text).toContain('signrelay_stage_duration_seconds_count{stage="delivery"} 1');
    expect(text).toContain('signrelay_stage_duration_seconds_sum{stage="delivery"} 10');
    expect(text).toContain('signrelay_requests{state="sent"} 1');
    expect(text).toContain('signrelay_requests{state="delivered"} 1');
    expect(text).toContain('signrelay_imap_connected{mailbox="requests"} 1');
    expect(text).toContain('signrelay_imap_heartbeat_age_seconds{mailbox="requests"} 5');
    expect(text).toContain('signrelay_imap_reconnects_total{mailbox="requests"} 2');
  });

  it('gauges each account\'s quota where its server reports one, and leaves out a watcher whose server reports none', () => {
    const db = openMemoryDatabase();
    const quota = { resource: 'storage' as const, used: 870_000, limit: 1_048_576, root: 'User quota', account: 'sign on imap.corp.example', folders: ['Processed'], readAt: at(90) };
    const metrics = createDaemonMetrics({ db, events: eventsOf(db), watchers: { requests: { status: () => ({ ...idle, quota }) }, returns: { status: () => ({ ...idle, quota: null }) } }, now: () => at(100) });
    const text = renderPrometheus(metrics.collect());
    expect(text).toContain('# TYPE signrelay_imap_quota_used_bytes gauge');
    expect(text).toContain('signrelay_imap_quota_used_bytes{mailbox="requests"} 870000');
    expect(text).toContain('signrelay_imap_quota_limit_bytes{mailbox="requests"} 1048576');
    expect(text).not.toContain('signrelay_imap_quota_used_bytes{mailbox="returns"}');
  });

  it('counts job attempts by outcome and errors by outside system, and reads the queue', () => {
    const db = openMemoryDatabase();
    const events = eventsOf(db);
    const metrics = createDaemonMetrics({ db, events, watchers: {}, now: () => at(100) });
    const attempt = (kind: JobAttempt['kind'], outcome: JobAttempt['outcome'], code?: string) =>
      events.emit('job', { jobId: 1, kind, requestId: null, attempt: 1, outcome, ...(code ? { code } : {}) });
    attempt('submit', 'retry', 'provider_timeout');
    attempt('submit', 'retry', 'provider_timeout');
    attempt('submit', 'done');
    attempt('complete', 'failed', 'servicenow_forbidden');
    enqueueJob(db, { kind: 'mail', runAt: at(40) }, at(40));
    enqueueJob(db, { kind: 'mail', runAt: at(500) }, at(40));
    const text = renderPrometheus(metrics.collect());
    expect(text).toContain('signrelay_job_attempts_total{kind="submit",outcome="retry"} 2');
    expect(text).toContain('signrelay_job_attempts_total{kind="submit",outcome="done"} 1');
    expect(text).toContain('signrelay_job_attempts_total{kind="complete",outcome="failed"} 1');
    expect(text).toContain('signrelay_errors_total{service="provider",code="provider_timeout"} 2');
    expect(text).toContain('signrelay_errors_total{service="servicenow",code="servicenow_forbidden"} 1');
    expect(text).toContain('signrelay_jobs_pending 2');
    expect(text).toContain('signrelay_jobs_due 1');
    expect(text).toContain('signrelay_oldest_due_job_age_seconds 60');
    expect(text).toContain('signrelay_requests_held 0');
    // A restore found at a start: the request's jobs are held, counted apart from the queue.
    const held = newRequest(db, 'held', at(10));
    enqueueJob(db, { kind: 'submit', requestId: held, runAt: at(20) }, at(20));
    holdOpenRequests(db, at(30));
    const after = renderPrometheus(metrics.collect());
    expect(after).toContain('signrelay_requests_held 1');
    expect(after).toContain('signrelay_jobs_due 1');
  });

  it('reports the main process\'s memory and the PDF pool\'s workers as they are', async () => {
    endIdlePdfWorkers(); // none left by the file before
    const db = openMemoryDatabase();
    const metrics = createDaemonMetrics({ db, events: eventsOf(db), watchers: {}, now: () => at(100) });
    const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    let text = renderPrometheus(metrics.collect());
    expect(value(text, 'signrelay_process_memory_bytes{kind="rss"}')).toBeGreaterThan(value(text, 'signrelay_process_memory_bytes{kind="heap"}'));
    expect(value(text, 'signrelay_process_memory_bytes{kind="external"}')).toBeGreaterThan(0);
    expect(value(text, 'signrelay_process_memory_bytes{kind="heap_total"}')).toBeGreaterThanOrEqual(value(text, 'signrelay_process_memory_bytes{kind="heap"}'));
    expect(value(text, 'signrelay_process_memory_bytes{kind="array_buffers"}')).toBeLessThanOrEqual(value(text, 'signrelay_process_memory_bytes{kind="external"}'));
    expect(text).toContain('signrelay_pdf_workers{state="idle"} 0');
    startPdfPool({ workers: 2, minWorkers: 1, idleMs: 60_000 });
    try {
      text = renderPrometheus(metrics.collect());
      expect(text).toContain('signrelay_pdf_workers{state="idle"} 1');
      expect(text).toContain('signrelay_pdf_workers{state="busy"} 0');
      expect(text).toContain('signrelay_pdf_tasks_waiting 0');
      expect(text).toContain('signrelay_pdf_workers_unguarded_total 0');
    } finally {
      stopPdfPool();
      endIdlePdfWorkers();
    }
  });

  it.each([['provider_timeout', 'provider'], ['servicenow_server_error', 'servicenow'], ['smtp_unreachable', 'smtp'], ['pdf_too_complex', 'other'], ['unexpected', 'other']])('%s is an error of %s', (code, service) => {
    expect(serviceOf(code)).toBe(service);
  });
});
