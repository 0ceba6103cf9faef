// The daemon side of `signrelay status`: writes the daemon's and each watcher's state to
// the service_status table every few seconds and whenever a watcher connects, disconnects
// or fails, so another process can tell a healthy daemon from a deaf or hung one.
import type { ImapWatcher, WatcherStatus } from '../mail/imap-watcher.ts';
import type { Logger } from '../log.ts';
import { describeError } from '../errors.ts';
import type { Db } from '../store/open-database.ts';
import { writeServiceStatus } from '../store/service-status.ts';
import { underSystemd } from '../service-unit.ts';

export const STATUS_INTERVAL_MS = 10_000;

export interface StatusReporter {
  /** Writes the final rows ('stopped') and stops the timer. */
  stop(): void;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function watcherDetail(status: WatcherStatus): Record<string, unknown> {
  return {
    lastHeartbeatAt: iso(status.lastHeartbeatAt),
    connectedSince: iso(status.connectedSince),
    reconnects: status.reconnects,
    nextAttemptAt: iso(status.nextAttemptAt),
    lastError: status.lastError?.message ?? null,
    lastErrorAt: iso(status.lastErrorAt),
    deferredMails: status.deferred.mails,
    deferredSince: iso(status.deferred.since),
    deferredReason: status.deferred.reason,
    // How full its account is (GETQUOTAROOT): status and /healthz judge it (assess-health.ts).
    quota: status.quota ? { account: status.quota.account, resource: status.quota.resource, used: status.quota.used, limit: status.quota.limit, folders: status.quota.folders, readAt: status.quota.readAt.toISOString() } : null,
  };
}

export function startStatusReporter(options: {
  db: Db;
  watchers: Record<string, ImapWatcher>;
  logger: Logger;
  version: string;
  intervalMs?: number;
}): StatusReporter {
  const startedAt = new Date();
  let failed = false;
  const write = (daemonState: 'running' | 'stopped') => {
    try {
      const now = new Date();
      options.db.transaction(() => {
        // How it runs, for the fixes `status` (another process) names: systemctl, or its pid file.
        writeServiceStatus(options.db, 'daemon', daemonState, { pid: process.pid, startedAt: startedAt.toISOString(), version: options.version, underSystemd: underSystemd() }, now);
        for (const [name, watcher] of Object.entries(options.watchers)) {
          const status = watcher.status();
          writeServiceStatus(options.db, name, daemonState === 'stopped' ? 'stopped' : status.state, watcherDetail(status), now);
        }
      })();
      failed = false;
    } catch (err) {
      // A busy or full database: say so once, keep trying; status is not worth a crash.
      if (!failed) options.logger.warn('could not record the service status', { error: describeError(err) });
      failed = true;
    }
  };
  const unsubscribe = Object.values(options.watchers).flatMap((w) =>
    (['connected', 'disconnected', 'error'] as const).map((event) => w.on(event, () => write('running'))));
  write('running');
  const timer = setInterval(() => write('running'), options.intervalMs ?? STATUS_INTERVAL_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      unsubscribe.forEach((u) => u());
      write('stopped');
    },
  };
}
