// What `/metrics` reports. Gauges are read from the database at scrape time (requests by
// state, the queue) and from the watchers (connected, heartbeat age, reconnects, quota); counters
// live in this process (job outcomes, errors by service) and, like every Prometheus
// counter, start again at zero when the process does; job outcomes are heard from the
// daemon's events (`job`). Stage latencies are histograms fed from the audit trail: each
// scrape reads only the transitions written since the last one.
import type { ImapWatcher } from '../mail/imap-watcher.ts';
import { pdfPoolStatus } from '../pdf/pdf-pool.ts';
import type { DaemonEvents } from '../store/daemon-events.ts';
import type { Db } from '../store/open-database.ts';
import { countRequestsByState, queueSummary } from '../store/status-queries.ts';
import { listCredentialRows } from '../store/credential-fingerprints.ts';
import { ageMsOf } from '../config/credential-age.ts';
import { Histogram, type HistogramFamily, type MetricFamily } from './prometheus.ts';

/** Seconds: 1 s … 30 days (signing takes days; submit and delivery take seconds). */
export const STAGE_BUCKETS = [1, 5, 15, 60, 300, 900, 3_600, 14_400, 86_400, 259_200, 604_800, 2_592_000] as const;

/** Each stage: the state it ends in, and the state it starts from. */
const STAGES = {
  submit: { from: 'received', to: 'sent' },
  signing: { from: 'sent', to: 'completed' },
  delivery: { from: 'completed', to: 'delivered' },
} as const;

export interface DaemonMetrics {
  collect(): Array<MetricFamily | HistogramFamily>;
}

/** provider_timeout → provider, servicenow_forbidden → servicenow, smtp_… → smtp. */
export function serviceOf(code: string): string {
  const prefix = code.split('_')[0]!;
  return ['provider', 'servicenow', 'smtp', 'imap'].includes(prefix) ? prefix : 'other';
}

const inc = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const split = (key: string) => key.split('\u0000');

export function createDaemonMetrics(options: { db: Db; events: Pick<DaemonEvents, 'on'>; watchers: Record<string, Pick<ImapWatcher, 'status'>>; now?: () => Date }): DaemonMetrics {
  const { db } = options;
  const now = options.now ?? (() => new Date());
  const attempts = new Map<string, number>();
  const errors = new Map<string, number>();
  const stages = new Map(Object.keys(STAGES).map((s) => [s, new Histogram(STAGE_BUCKETS)]));
  let lastEventId = (db.prepare('SELECT coalesce(max(id), 0) AS id FROM events').get() as { id: number }).id;
  // Each stage once per request, from its first start to its first end: a `retry` puts a
  // failed request back into the state it failed from, which is no second end of the stage
  // before it — and the outage it recovered from belongs to the stage it happened in.
  const newTransitions = db.prepare(`SELECT e.id, e.to_state AS state, e.at,
      (SELECT min(p.at) FROM events p WHERE p.request_id = e.request_id AND p.kind = 'transition' AND p.id < e.id
        AND p.to_state = CASE e.to_state ${Object.values(STAGES).map((s) => `WHEN '${s.to}' THEN '${s.from}'`).join(' ')} END) AS started
    FROM events e WHERE e.id > ? AND e.kind = 'transition' AND e.to_state IN (${Object.values(STAGES).map((s) => `'${s.to}'`).join(', ')})
      AND NOT EXISTS (SELECT 1 FROM events q WHERE q.request_id = e.request_id AND q.kind = 'transition' AND q.to_state = e.to_state AND q.id < e.id)
    ORDER BY e.id`);

  const readStages = () => {
    for (const row of newTransitions.all(lastEventId) as Array<{ id: number; state: string; at: string; started: string | null }>) {
      lastEventId = row.id;
      const stage = Object.entries(STAGES).find(([, s]) => s.to === row.state)?.[0];
      if (stage && row.started) stages.get(stage)!.observe(Math.max(0, (Date.parse(row.at) - Date.parse(row.started)) / 1000));
    }
  };

  // Every attempt the job runner records; `code` is the SignrelayError code of a failure.
  options.events.on('job', ({ kind, outcome, code }) => {
    inc(attempts, `${kind}\u0000${outcome}`);
    if (code) inc(errors, `${serviceOf(code)}\u0000${code}`);
  });

  return {
    collect() {
      readStages();
      const at = now();
      const queue = queueSummary(db, at);
      const watchers = Object.entries(options.watchers).map(([mailbox, w]) => ({ mailbox, status: w.status() }));
      return [
        { name: 'signrelay_requests', help: 'Requests by state.', type: 'gauge',
          samples: Object.entries(countRequestsByState(db)).map(([state, value]) => ({ labels: { state }, value })) },
        { name: 'signrelay_jobs_pending', help: 'Jobs not finished yet (due or waiting for a retry).', type: 'gauge', samples: [{ value: queue.pending }] },
        { name: 'signrelay_jobs_due', help: 'Jobs due now.', type: 'gauge', samples: [{ value: queue.due }] },
        { name: 'signrelay_jobs_waiting_for_operator', help: 'Jobs waiting for an operator to fix a credential or setting a service refused.', type: 'gauge', samples: [{ value: queue.waitingForOperator }] },
        { name: 'signrelay_requests_held', help: 'Requests held since the database was found behind its data dir (a restored backup): their work waits for `signrelay release`.', type: 'gauge', samples: [{ value: queue.held }] },
        { name: 'signrelay_jobs_failed', help: 'Jobs given up that still stand, not retried since: steps of requests failed now, and other jobs (mails, record notes) given up within the last day.', type: 'gauge', samples: [{ value: queue.failed }] },
        { name: 'signrelay_oldest_due_job_age_seconds', help: 'How long the oldest due job has waited (0 when none).', type: 'gauge',
          samples: [{ value: queue.oldestDueAt ? Math.max(0, (at.getTime() - Date.parse(queue.oldestDueAt)) / 1000) : 0 }] },
        { name: 'signrelay_job_attempts_total', help: 'Job attempts by kind and outcome (done, retry, failed).', type: 'counter',
          samples: [...attempts].map(([key, value]) => { const [kind, outcome] = split(key); return { labels: { kind: kind!, outcome: outcome! }, value }; }) },
        { name: 'signrelay_errors_total', help: 'Failed job attempts by outside system and error code.', type: 'counter',
          samples: [...errors].map(([key, value]) => { const [service, code] = split(key); return { labels: { service: service!, code: code! }, value }; }) },
        { name: 'signrelay_imap_connected', help: 'Whether the watcher is connected (1) or not (0).', type: 'gauge',
          samples: watchers.map((w) => ({ labels: { mailbox: w.mailbox }, value: w.status.state === 'connected' || w.status.state === 'idle' ? 1 : 0 })) },
        { name: 'signrelay_imap_heartbeat_age_seconds', help: 'Seconds since the watcher last heard from its IMAP server.', type: 'gauge',
          samples: watchers.filter((w) => w.status.lastHeartbeatAt).map((w) => ({ labels: { mailbox: w.mailbox }, value: (at.getTime() - w.status.lastHeartbeatAt!.getTime()) / 1000 })) },
        { name: 'signrelay_imap_reconnects_total', help: 'IMAP connection attempts after the first.', type: 'counter',
          samples: watchers.map((w) => ({ labels: { mailbox: w.mailbox }, value: w.status.reconnects })) },
        // Only where the server reports a quota (GETQUOTAROOT, read every 15 min) and storage is its fullest limit: used / limit ≥ 0.8 is the warning of status.
        { name: 'signrelay_imap_quota_used_bytes', help: 'Storage the IMAP account uses, as its server last reported it (accounts whose server reports a quota only).', type: 'gauge',
          samples: watchers.filter((w) => w.status.quota?.resource === 'storage').map((w) => ({ labels: { mailbox: w.mailbox }, value: w.status.quota!.used })) },
        { name: 'signrelay_imap_quota_limit_bytes', help: 'The IMAP account\'s storage quota: at it the server refuses new mail, and request mails bounce to their requesters.', type: 'gauge',
          samples: watchers.filter((w) => w.status.quota?.resource === 'storage').map((w) => ({ labels: { mailbox: w.mailbox }, value: w.status.quota!.limit })) },
        // Labelled by setting only: a fingerprint would tell a watcher when a secret changed hands.
        { name: 'signrelay_credential_age_seconds', help: 'Seconds since signrelay first saw the current value of each secret setting (a rotation starts it again); due for rotation past credentials.max_age_days.', type: 'gauge',
          samples: listCredentialRows(db).map((r) => ({ labels: { setting: r.setting }, value: Math.floor(ageMsOf(r.firstSeenAt, at) / 1000) })) },
        ...memoryFamilies(),
        { name: 'signrelay_stage_duration_seconds', help: 'Time per stage: submit (mail received to signers invited), signing (invited to signed), delivery (signed to on the record).',
          type: 'histogram', buckets: STAGE_BUCKETS,
          series: [...stages].map(([stage, h]) => ({ labels: { stage }, counts: h.counts, sum: h.sum, count: h.count })) },
      ];
    },
  };
}

/** The main process's memory (the PDF workers are recycled by the pool past their limit) and the PDF pool's workers. */
function memoryFamilies(): MetricFamily[] {
  const memory = process.memoryUsage();
  const pool = pdfPoolStatus();
  return [
    { name: 'signrelay_process_memory_bytes', help: 'The main process\'s memory: resident (rss), JS heap in use (heap) and reserved (heap_total), outside the heap (external: buffers and native objects; array_buffers: the buffers alone).', type: 'gauge',
      samples: [
        { labels: { kind: 'rss' }, value: memory.rss }, { labels: { kind: 'heap' }, value: memory.heapUsed }, { labels: { kind: 'heap_total' }, value: memory.heapTotal },
        { labels: { kind: 'external' }, value: memory.external }, { labels: { kind: 'array_buffers' }, value: memory.arrayBuffers },
      ] },
    { name: 'signrelay_pdf_workers', help: 'PDF worker processes: idle (started and ready) or busy (reading a PDF).', type: 'gauge',
      samples: [{ labels: { state: 'idle' }, value: pool.idle }, { labels: { state: 'busy' }, value: pool.busy }] },
    { name: 'signrelay_pdf_workers_unguarded_total', help: 'PDF workers started without their orphan guard (its shell could not be started): such a worker outlives a daemon killed while it was stuck in a PDF.', type: 'counter', samples: [{ value: pool.unguarded }] },
    { name: 'signrelay_pdf_tasks_waiting', help: 'PDF tasks waiting for a worker (all concurrency.pdf_workers busy).', type: 'gauge', samples: [{ value: pool.waiting }] },
  ];
}
