// The optional loopback HTTP endpoint (`observability.listen`): GET /healthz answers 200 or
// 503 with the same verdict as `signrelay status` plus a database write check, GET /metrics
// the Prometheus text format. Nothing else; no secrets in either.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WatcherStatus } from '../mail/imap-watcher.ts';
import type { Logger } from '../log.ts';
import { parseListenAddress } from '../config/listen-address.ts';
import { describeError, SignrelayError } from '../errors.ts';
import { writeLockProblem, type Db } from '../store/open-database.ts';
import { dirname } from 'node:path';
import { readServiceStatus } from '../store/service-status.ts';
import { queueSummary } from '../store/status-queries.ts';
import { alertBouncesSince } from '../store/sent-mails.ts';
import { ALERT_BOUNCE_SHOWN_MS, assessHealth, type Health } from './assess-health.ts';
import { dataDirSpace } from './health-limits.ts';
import type { DaemonMetrics } from './daemon-metrics.ts';
import { renderPrometheus } from './prometheus.ts';
import { watcherDetail } from './status-reporter.ts';
import { wallClockOf } from '../time.ts';
import { serviceUnit } from '../service-unit.ts';

export interface HealthLimits {
  staleAfterMs: number;
  heartbeatMaxAgeMs: number;
  queueMaxDelayMs: number;
  /** limits.max_pdf_bytes: the room a request may need on the data dir follows from it. */
  maxPdfBytes: number;
}

export interface ObservabilityServer {
  /** host:port actually bound (port 0 in the config picks a free one). */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * What this daemon wrote about itself (status-reporter.ts: pid, startedAt, version), read
 * from service_status as `signrelay status` reads it. A row some earlier process left
 * (its pid is another) says nothing about this one.
 */
function ownDaemonDetail(db: Db): Record<string, unknown> {
  const row = readServiceStatus(db).find((r) => r.component === 'daemon');
  return row?.detail.pid === process.pid ? row.detail : {};
}

export function healthNow(db: Db, watchers: Record<string, { status(): WatcherStatus }>, limits: HealthLimits, now = new Date()): Health & { database: { writable: boolean; error: string | null }; oldestDueJobAgeSeconds: number } {
  const queue = queueSummary(db, now);
  const rows = [
    // This process answers, so it runs and its report is current; the stored row adds when it started and which version it is.
    { component: 'daemon', state: 'running', detail: ownDaemonDetail(db), updatedAt: now.toISOString() },
    ...Object.entries(watchers).map(([name, w]) => {
      const s = w.status();
      // Its ages on the monotonic clock, as the watchdog judges them: a wall clock stepped
      // forward made a watcher heard a minute ago deaf here (503), one stepped back a deaf one fresh.
      const asOfNow = (at: number | null) => (at === null ? null : wallClockOf(at, now));
      const seen = { ...s, lastHeartbeatAt: asOfNow(s.monotonic.lastHeartbeat), connectedSince: asOfNow(s.monotonic.connectedSince) };
      return { component: name, state: s.state, detail: watcherDetail(seen), updatedAt: now.toISOString() };
    }),
  ];
  const health = assessHealth({ now, pid: process.pid, rows, queue, watchers: Object.keys(watchers), ...limits, dataDir: dataDirSpace(dirname(db.name), limits.maxPdfBytes), unit: serviceUnit(),
    alertBounces: alertBouncesSince(db, new Date(now.getTime() - ALERT_BOUNCE_SHOWN_MS)) });
  const dbError = writeLockProblem(db);
  if (dbError) health.problems.push(`the database is not writable: ${dbError}`);
  return {
    ...health,
    healthy: health.healthy && dbError === null,
    database: { writable: dbError === null, error: dbError },
    oldestDueJobAgeSeconds: queue.oldestDueAt ? Math.round((now.getTime() - Date.parse(queue.oldestDueAt)) / 1000) : 0,
  };
}

export async function startObservabilityServer(options: {
  listen: string;
  db: Db;
  watchers: Record<string, { status(): WatcherStatus }>;
  metrics: DaemonMetrics;
  limits: HealthLimits;
  logger: Logger;
}): Promise<ObservabilityServer> {
  const parsed = parseListenAddress(options.listen);
  if ('problem' in parsed) throw new SignrelayError('config', 'observability_listen', `observability.listen: ${parsed.problem}`);
  const { host, port } = parsed;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    try {
      if (path === '/healthz') {
        const health = healthNow(options.db, options.watchers, options.limits);
        res.writeHead(health.healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(health)}\n`);
      } else {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderPrometheus(options.metrics.collect()));
      }
    } catch (err) {
      options.logger.warn('observability endpoint failed', { path, error: describeError(err) });
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${describeError(err)}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new SignrelayError('config', 'observability_listen',
      `observability.listen: cannot listen on ${options.listen} (${err.code}): pick a free port`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  options.logger.info('observability endpoint listening', { address });
  return {
    address,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
