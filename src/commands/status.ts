// `signrelay status`: is the daemon running, are both watchers connected and hearing from
// their servers, how long is the queue, how many requests are in each state, and when did
// the scheduled tasks last run. Exit 0 when healthy, 1 when not (for scripts and
// monitoring), 2 on a usage mistake.
import { ALERT_BOUNCE_SHOWN_MS, assessHealth, mb, type Health } from '../health/assess-health.ts';
import { parseCommand } from '../cli-io/command-args.ts';
import { ago, formatTable, shortTime } from '../cli-io/format-table.ts';
import { loadReadingOperatorConfig, readState } from '../cli-io/open-state.ts';
import { dataDirSpace, HEALTH_LIMITS } from '../health/health-limits.ts';
import { escapeForTerminal, jsonForTerminal } from '../terminal-text.ts';
import { lockHolder } from '../store/data-dir-lock.ts';
import { writeLockHeldElsewhere } from '../store/open-database.ts';
import { listScheduleRuns, type ScheduleRunRow } from '../store/schedule-runs.ts';
import { readServiceStatus } from '../store/service-status.ts';
import { countRequestsByState, queueSummary, type QueueSummary } from '../store/status-queries.ts';
import { alertBouncesSince } from '../store/sent-mails.ts';
import type { RequestState } from '../store/request-states.ts';
import { credentialAges, overdueWarning, type CredentialAge } from '../config/credential-age.ts';
import { listCredentialRows } from '../store/credential-fingerprints.ts';
import type { CommandIo } from './run.ts';
import { serviceUnit } from '../service-unit.ts';

const USAGE = `usage: signrelay status [--json] [--config FILE]

Whether the daemon is running and healthy: both IMAP watchers, the job queue, requests by
state, the scheduled tasks, and the age of each secret (a warning past
credentials.max_age_days; not a health problem). Exit 0 when healthy, 1 when not.
`;

export const WATCHERS = ['requests', 'returns'] as const;

export interface StatusReport extends Health {
  /** The data dir and its filesystem's free room (null: it could not be read). */
  dataDir: { path: string; freeBytes: number } | null;
  queue: QueueSummary;
  requests: Record<RequestState, number>;
  scheduler: ScheduleRunRow[];
  /** The secrets the daemon runs with, by setting (never their values or fingerprints), and those due for rotation. */
  credentials: { maxAgeDays: number; ages: CredentialAge[]; warnings: string[] };
}

export async function runStatusCommand(args: string[], io: CommandIo, now = new Date()): Promise<number> {
  const parsed = parseCommand('status', args, {}, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const config = loadReadingOperatorConfig(parsed.values.config, io.stderr);
  const report: StatusReport = readState(config, (db) => {
    const queue = queueSummary(db, now);
    const dataDir = config.storage.data_dir;
    const space = dataDirSpace(dataDir, config.limits.max_pdf_bytes);
    const health = assessHealth({
      now, pid: lockHolder(dataDir), rows: readServiceStatus(db), queue, watchers: WATCHERS, ...HEALTH_LIMITS, dataDir: space, unit: serviceUnit(),
      writeLocked: () => writeLockHeldElsewhere(dataDir), alertBounces: alertBouncesSince(db, new Date(now.getTime() - ALERT_BOUNCE_SHOWN_MS)),
    });
    const maxAgeDays = config.credentials.max_age_days;
    const ages = credentialAges(listCredentialRows(db), now, maxAgeDays);
    const credentials = { maxAgeDays, ages, warnings: ages.filter((a) => a.overdue).map((a) => overdueWarning(a, maxAgeDays)) };
    return { ...health, dataDir: space ? { path: space.path, freeBytes: space.freeBytes } : null, queue, requests: countRequestsByState(db), scheduler: listScheduleRuns(db), credentials };
  });
  io.stdout.write(parsed.values.json ? `${jsonForTerminal(report, 2)}\n` : formatStatus(report, now));
  return report.healthy ? 0 : 1;
}

export function formatStatus(report: StatusReport, now: Date): string {
  const { daemon, queue } = report;
  const lines = [
    `signrelay: ${report.healthy ? 'healthy' : 'NOT HEALTHY'}`,
    `daemon:    ${daemon.running ? `running, pid ${daemon.pid}${daemon.startedAt ? `, since ${shortTime(daemon.startedAt)} UTC` : ''}${daemon.version ? `, version ${daemon.version}` : ''}` : 'not running'}`,
    '',
    formatTable(['WATCHER', 'STATE', 'HEARD FROM SERVER', 'RECONNECTS', 'LAST ERROR'],
      report.watchers.map((w) => [w.name, w.state, w.heartbeatAgeMs === null ? null : `${ago(w.heartbeatAgeMs)} ago`, w.reconnects, w.lastError])),
    '',
    `queue:     ${queue.pending} pending (${queue.due} due${queue.oldestDueAt ? `, oldest for ${ago(now.getTime() - Date.parse(queue.oldestDueAt))}` : ''}), ${queue.retrying} retrying${queue.waitingForOperator > 0 ? ` (${queue.waitingForOperator} for an operator's fix)` : ''}, ${queue.failed} given up`,
    // Errors and problems quote servers and providers: escaped, like every table cell.
    ...(queue.lastError ? [`           latest error: ${escapeForTerminal(queue.lastError)}`] : []),
    `requests:  ${Object.entries(report.requests).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(', ') || 'none yet'}`,
    `data dir:  ${report.dataDir ? `${escapeForTerminal(report.dataDir.path)}, ${mb(report.dataDir.freeBytes)} free` : 'its free room could not be read'}`,
  ];
  if (report.scheduler.length > 0) {
    lines.push('', formatTable(['TASK', 'LAST RUN (UTC)', 'OUTCOME', 'ERROR'],
      report.scheduler.map((r) => [r.task, shortTime(r.startedAt), r.outcome, r.error])));
  }
  const { credentials } = report;
  if (credentials.ages.length > 0) {
    lines.push('', formatTable(['SECRET', 'FIRST SEEN (UTC)', 'AGE'],
      credentials.ages.map((a) => [a.setting, shortTime(a.firstSeenAt), `${a.ageDays} d${a.overdue ? ` (over ${credentials.maxAgeDays})` : ''}`])));
  }
  if (credentials.warnings.length > 0) lines.push('', 'warnings:', ...credentials.warnings.map((w) => `  ! ${w}`));
  if (report.problems.length > 0) lines.push('', 'problems:', ...report.problems.map((p) => `  ✗ ${escapeForTerminal(p)}`));
  return `${lines.join('\n')}\n`;
}
