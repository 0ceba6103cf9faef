// Whether signrelay is healthy, from what the daemon last reported (service_status), the
// pid file and the job queue. Pure: `status`, the health endpoint and the systemd watchdog
// all judge by these rules. A watcher is healthy when it is connected and has heard from
// its server recently; a daemon whose reports stopped is hung even if its pid lives.
import { NEARLY_FULL_BYTES } from '../store/open-database.ts';
import type { QueueSummary } from '../store/status-queries.ts';
import type { ServiceStatusRow } from '../store/service-status.ts';
import type { AlertBounce } from '../store/sent-mails.ts';
import { operatorCommand, reloadCommand } from '../service-unit.ts';
import { describeQuota, fullestOf, quotaConsequence, quotaFix, quotaLevel, quotaRatio, type QuotaUsage } from '../mail-quota.ts';

export interface HealthInput {
  now: Date;
  /** The live process holding the data dir, if any. */
  pid: number | undefined;
  rows: ServiceStatusRow[];
  queue: QueueSummary;
  /** The watchers that must be there ('requests', 'returns'). */
  watchers: readonly string[];
  /** A report older than this means the daemon is not reporting (hung or stopped). */
  staleAfterMs: number;
  /** A watcher that has heard nothing from its server for this long is deaf. */
  heartbeatMaxAgeMs: number;
  /** A due job waiting longer than this means the queue is stuck. */
  queueMaxDelayMs: number;
  /** The systemd unit the fixes name (serviceUnit): `signrelay`, or `signrelay@NAME` for an instance. */
  unit?: string | undefined;
  /** The data dir and the room on its filesystem (freeBytesAt), when it could be looked at. */
  dataDir?: { path: string; freeBytes: number; maxPdfBytes: number } | undefined;
  /** Operator alerts that bounced within ALERT_BOUNCE_SHOWN_MS (store/sent-mails.ts alertBouncesSince): the alert channel is broken. */
  alertBounces?: { count: number; latest: AlertBounce | null } | undefined;
  /** Whether another process holds the database's write lock: asked only when the daemon's report is stale. */
  writeLocked?: (() => boolean) | undefined;
}

/** Under this the data dir is full: nothing can be taken or recorded (SQLite's own small writes fail) — the store's own line. */
const FULL_BELOW_BYTES = NEARLY_FULL_BYTES;

/** The room one request may need at most: its PDF of limits.max_pdf_bytes, the stamped copy, and the database's share. */
function roomForOneRequest(maxPdfBytes: number): number {
  return 2 * maxPdfBytes + FULL_BELOW_BYTES;
}

/**
 * How long a bounced operator alert stays a problem: nothing tells signrelay that alerts.to
 * takes mail again (a mail accepted is no mail delivered), so it says so for a day after the
 * last bounce — where the operators look when no mail can reach them.
 */
export const ALERT_BOUNCE_SHOWN_MS = 24 * 3_600_000;

/** A bounced operator alert, for the operator: who, when, the mail system's words and the fix. */
function alertBounceProblem(bounces: NonNullable<HealthInput['alertBounces']>, fixes: DaemonFixes): string | null {
  const { latest, count } = bounces;
  if (!latest) return null;
  return `${count === 1 ? 'an operator alert' : `${count} operator alerts`} bounced within the day, the latest (to ${latest.to}, ${latest.at}): ${latest.reason} — alerts do not reach the operators by mail: fix alerts.to and \`${fixes.reload}\`, and read the log's alerts meanwhile`;
}

/** The commands the fixes name: the unit's, or — the daemon last ran by hand, not under systemd — its own. */
interface DaemonFixes {
  start: string;
  reload: string;
  /** What reads a credential file again. */
  restart: string;
}

/**
 * The daemon's last report says whether it ran under systemd (status-reporter.ts): a daemon
 * run by hand (the sandbox's `signrelay run --config …`, a container's) is started with
 * `signrelay run` and reloaded by a SIGHUP to the process its pid file names —
 * `systemctl … signrelay` acted on another signrelay, or on none (newcomer review L4).
 */
function daemonFixes(daemonReport: ServiceStatusRow | undefined, unit: string, dataDir: string | undefined): DaemonFixes {
  if (daemonReport?.detail.underSystemd !== false || dataDir === undefined) {
    return { start: `systemctl start ${unit}`, reload: `systemctl reload ${unit}`, restart: '`restart`' };
  }
  return { start: operatorCommand('run'), reload: reloadCommand({}, dataDir), restart: 'a stop and a start' };
}

/** A size as the health report says it, `850.0 MB` (also status's data dir line: one number, one way). */
export const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/** What the room left on the data dir's filesystem means, or null when there is enough. */
function roomProblem(dataDir: NonNullable<HealthInput['dataDir']>): string | null {
  if (dataDir.freeBytes < FULL_BELOW_BYTES) {
    return `storage.data_dir ${dataDir.path} is full: no request mail can be taken and no step recorded until there is room — free space on its filesystem`;
  }
  const need = roomForOneRequest(dataDir.maxPdfBytes);
  if (dataDir.freeBytes >= need) return null;
  return `storage.data_dir ${dataDir.path} has ${mb(dataDir.freeBytes)} free, less than a request may need (${mb(need)}: a PDF of limits.max_pdf_bytes and its stamped copy): a request whose PDFs do not fit waits in the request folder until there is room — free space on its filesystem`;
}

/** A watcher's report of its account's quota (status-reporter.ts watcherDetail), when it is sound. */
function reportedQuota(detail: Record<string, unknown> | undefined): (Pick<QuotaUsage, 'resource' | 'used' | 'limit'> & { account: string; folders: string[] }) | null {
  const quota = detail?.quota as Record<string, unknown> | null | undefined;
  if (!quota || typeof quota !== 'object') return null;
  const { account, folders } = quota;
  // A daemon from before wrote storage only, as usedBytes and limitBytes.
  const used = quota.used ?? quota.usedBytes;
  const limit = quota.limit ?? quota.limitBytes;
  const resource = quota.resource === 'messages' ? 'messages' : 'storage';
  if (typeof account !== 'string' || typeof used !== 'number' || typeof limit !== 'number' || !(limit > 0)) return null;
  return { account, resource, used, limit, folders: Array.isArray(folders) ? folders.filter((f): f is string => typeof f === 'string') : [] };
}

/**
 * Accounts at or past the quota's warning threshold (mail-quota.ts), once each: the request
 * and return watchers share an account unless mailboxes.returns has its own login — the fix
 * then names the folders of both (quota review H1).
 */
function quotaProblems(rows: Array<ServiceStatusRow | undefined>): string[] {
  const byAccount = new Map<string, NonNullable<ReturnType<typeof reportedQuota>>>();
  for (const row of rows) {
    const quota = reportedQuota(row?.detail);
    if (!quota) continue;
    const seen = byAccount.get(quota.account);
    // The two watchers read at their own times: the fuller reading is the account's (diff review 26 L3).
    const fuller = seen ? fullestOf([quota, seen])! : quota;
    byAccount.set(quota.account, seen ? { ...fuller, folders: [...new Set([...seen.folders, ...quota.folders])] } : quota);
  }
  return [...byAccount.values()].flatMap((quota) => {
    const level = quotaLevel(quota);
    if (level === 'ok') return [];
    return [`the IMAP account ${quota.account} is ${level === 'full' ? 'full' : 'nearly full'} (${describeQuota(quota)}): ${quotaConsequence(quotaRatio(quota))} — ${quotaFix(quota.folders)}`];
  });
}

export interface WatcherHealth {
  name: string;
  state: string;
  healthy: boolean;
  heartbeatAgeMs: number | null;
  reconnects: number;
  lastError: string | null;
}

export interface Health {
  healthy: boolean;
  daemon: { running: boolean; pid: number | null; startedAt: string | null; version: string | null; reportAgeMs: number | null };
  watchers: WatcherHealth[];
  /** One line per problem, written for the operator, with what to look at. */
  problems: string[];
}

const CONNECTED = new Set(['connected', 'idle']);
const age = (now: Date, iso: unknown) => (typeof iso === 'string' ? Math.max(0, now.getTime() - Date.parse(iso)) : null);
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export function assessHealth(input: HealthInput): Health {
  const problems: string[] = [];
  const byName = new Map(input.rows.map((r) => [r.component, r]));
  // A report some earlier process left (its pid is another) says nothing of the one running:
  // one that starts, or waits to, has not reported yet.
  const reported = byName.get('daemon');
  const daemonRow = reported && (reported.detail.pid === undefined || reported.detail.pid === input.pid) ? reported : undefined;
  const reportAgeMs = daemonRow ? age(input.now, daemonRow.updatedAt) : null;
  const running = input.pid !== undefined;
  const room = input.dataDir ? roomProblem(input.dataDir) : null;
  if (room !== null) problems.push(room);
  const full = input.dataDir !== undefined && input.dataDir.freeBytes < FULL_BELOW_BYTES;
  const fixes = daemonFixes(reported, input.unit ?? 'signrelay', input.dataDir?.path);
  const bounced = input.alertBounces ? alertBounceProblem(input.alertBounces, fixes) : null;
  if (bounced !== null) problems.push(bounced);
  if (!running) problems.push(`the daemon is not running (no live process holds the data dir): start it with \`${fixes.start}\``);
  else if (reportAgeMs === null || reportAgeMs > input.staleAfterMs) {
    // On a full disk its report cannot be written: that is the cause, not a hang.
    // Nor while another process holds the database's write lock: its work waits for it too.
    const why = full ? 'it cannot write its report to the full disk'
      : input.writeLocked?.() ? 'another process holds the write lock on signrelay.db (an sqlite3 shell, a backup?) — the daemon\'s work waits until it is let go'
        : 'it may be hung; see its log';
    problems.push(`the daemon (pid ${input.pid}) has not reported ${reportAgeMs === null ? 'yet' : `for ${seconds(reportAgeMs)}`}: ${why}`);
  }
  const reporting = running && reportAgeMs !== null && reportAgeMs <= input.staleAfterMs;
  const watchers = input.watchers.map((name): WatcherHealth => {
    const row = byName.get(name);
    const heartbeatAgeMs = row ? age(input.now, row.detail.lastHeartbeatAt) : null;
    const lastError = row && typeof row.detail.lastError === 'string' ? row.detail.lastError : null;
    const connected = row !== undefined && CONNECTED.has(row.state);
    const fresh = heartbeatAgeMs !== null && heartbeatAgeMs <= input.heartbeatMaxAgeMs;
    const healthy = reporting && connected && fresh;
    if (reporting && !connected) problems.push(`the ${name} watcher is ${row?.state ?? 'not started'}${lastError ? `: ${lastError}` : ''}`);
    else if (reporting && !fresh) problems.push(`the ${name} watcher has heard nothing from its IMAP server for ${heartbeatAgeMs === null ? 'ever' : seconds(heartbeatAgeMs)}`);
    // Mails held in the folder past the queue's limit (a temp directory full, a service down): jobs do not show them.
    const waitingMs = row ? age(input.now, row.detail.deferredSince) : null;
    const mails = Number(row?.detail.deferredMails ?? 0);
    if (reporting && mails > 0 && waitingMs !== null && waitingMs > input.queueMaxDelayMs) {
      const reason = typeof row?.detail.deferredReason === 'string' ? ` (latest: ${row.detail.deferredReason})` : '';
      problems.push(`${mails === 1 ? '1 mail has' : `${mails} mails have`} waited in the ${name} folder for ${seconds(waitingMs)} to be tried again${reason}`);
    }
    return { name, state: reporting ? (row?.state ?? 'unknown') : 'unknown', healthy, heartbeatAgeMs, reconnects: Number(row?.detail.reconnects ?? 0), lastError };
  });
  if (reporting) problems.push(...quotaProblems(input.watchers.map((name) => byName.get(name))));
  // A refused credential or setting: the jobs wait (uncounted, never due for long) until an operator fixes it.
  if (running && input.queue.waitingForOperator > 0) {
    const jobs = input.queue.waitingForOperator === 1 ? '1 job waits' : `${input.queue.waitingForOperator} jobs wait`;
    problems.push(`${jobs} for an operator's fix${input.queue.operatorError ? `: ${input.queue.operatorError}` : ''} (fix it, then \`${fixes.reload}\` — ${fixes.restart} for a credential file — tries them again at once)`);
  }
  // Held after a restore was found: nothing of theirs runs until the operator has looked.
  if (input.queue.held > 0) {
    const requests = input.queue.held === 1 ? '1 request is' : `${input.queue.held} requests are`;
    problems.push(`${requests} held since ${input.queue.heldSince ?? 'a start'}: signrelay.db was found behind what the data dir had seen of it (a restored backup, or another database), and their work would repeat what was done after it — check each (\`${operatorCommand('requests --held')}\`), cancel what already went out, then \`${operatorCommand('release --all')}\``);
  }
  const oldestDueMs = age(input.now, input.queue.oldestDueAt);
  if (running && oldestDueMs !== null && oldestDueMs > input.queueMaxDelayMs) {
    problems.push(`the job queue is behind: a job has been due for ${seconds(oldestDueMs)}${input.queue.lastError ? ` (latest error: ${input.queue.lastError})` : ''}`);
  }
  return {
    healthy: problems.length === 0,
    daemon: {
      running,
      pid: input.pid ?? null,
      startedAt: typeof daemonRow?.detail.startedAt === 'string' ? daemonRow.detail.startedAt : null,
      version: typeof daemonRow?.detail.version === 'string' ? daemonRow.detail.version : null,
      reportAgeMs,
    },
    watchers,
    problems,
  };
}
