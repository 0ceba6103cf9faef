// /healthz (healthNow): the daemon's row says when it started and which version runs, as
// `signrelay status --json` does — it used to say null for both.
import { describe, expect, it } from 'vitest';
import { HEALTH_LIMITS } from '../../src/health/health-limits.ts';
import { healthNow } from '../../src/health/observability-server.ts';
import { startStatusReporter } from '../../src/health/status-reporter.ts';
import { createLogger } from '../../src/log.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { writeServiceStatus } from '../../src/store/service-status.ts';
import type { WatcherStatus } from '../../src/mail/imap-watcher.ts';
import { monotonicMs } from '../../src/time.ts';

const logger = createLogger({ level: 'error', format: 'json', secrets: [] });

describe('healthNow', () => {
  it('reports the daemon\'s startedAt and version from its own status report', () => {
    const db = openMemoryDatabase();
    const before = Date.now();
    const reporter = startStatusReporter({ db, watchers: {}, logger, version: '9.8.7' });
    try {
      const { daemon } = healthNow(db, {}, { ...HEALTH_LIMITS, maxPdfBytes: 1024 });
      expect(daemon).toMatchObject({ running: true, pid: process.pid, version: '9.8.7' });
      expect(Date.parse(daemon.startedAt ?? '')).toBeGreaterThanOrEqual(before);
    } finally {
      reporter.stop();
    }
  });

  it('does not take a row left by another process for this daemon\'s', () => {
    const db = openMemoryDatabase();
    writeServiceStatus(db, 'daemon', 'stopped', { pid: process.pid + 1, startedAt: '2026-01-01T00:00:00.000Z', version: '0.0.1' }, new Date());
    expect(healthNow(db, {}, { ...HEALTH_LIMITS, maxPdfBytes: 1024 }).daemon).toMatchObject({ running: true, startedAt: null, version: null });
  });

  it('judges the live watchers on the monotonic clock, as the systemd watchdog does: a stepped wall clock moves neither verdict (diff review 15 L4)', () => {
    const db = openMemoryDatabase();
    const watcher = (wallAgoMs: number, monoAgoMs: number) => ({
      status: (): WatcherStatus => ({
        state: 'idle', lastHeartbeatAt: new Date(Date.now() - wallAgoMs), lastError: null, lastErrorAt: null, reconnects: 0,
        connectedSince: new Date(Date.now() - wallAgoMs - 600_000), nextAttemptAt: null, uidValidity: '1',
        monotonic: { lastHeartbeat: monotonicMs() - monoAgoMs, connectedSince: monotonicMs() - monoAgoMs - 600_000, nextAttempt: null },
        deferred: { mails: 0, since: null, reason: null },
      }),
    });
    const limits = { ...HEALTH_LIMITS, maxPdfBytes: 1024 };
    // Stepped forward five minutes: heard 5 s ago, though the wall clock says 305 s.
    const forward = healthNow(db, { requests: watcher(305_000, 5_000), returns: watcher(5_000, 5_000) }, limits);
    expect(forward.watchers.map((w) => w.healthy)).toEqual([true, true]);
    expect(forward.problems.filter((p) => p.includes('watcher'))).toEqual([]);
    // Stepped back: deaf for 400 s, though the wall clock says 1 s.
    const back = healthNow(db, { requests: watcher(1_000, 400_000), returns: watcher(5_000, 5_000) }, limits);
    expect(back.problems).toContain('the requests watcher has heard nothing from its IMAP server for 400 s');
  });
});
