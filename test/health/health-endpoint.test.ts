// /healthz (healthNow): the daemon's row says when it started and which version runs, as
// `signrelay status --json` does — it used to say null for both.
import { describe, expect, it } from 'vitest';
import { HEALTH_LIMITS } from '../../src/health/health-limits.ts';
import { healthNow } from '../../src/health/observability-server.ts';
import { startStatusReporter } from '../../src/health/status-reporter.ts';
import { createLogger } from '../../src/log.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { writeServiceStatus } from '../../src/store/service-status.ts';

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
});
