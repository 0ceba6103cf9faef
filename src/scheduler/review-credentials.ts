// The credential review: records the secrets the daemon was started with (a fingerprint
// and when it was first seen, never the value) and tells the operators, once per secret
// value, when one has been unchanged for longer than credentials.max_age_days. It runs at
// every start — a reload is a start, so a rotated secret starts its age at once — and as
// the hourly `credentials` task, so a daemon that runs for months still notices the day a
// secret passes its age. The review at a start is recorded as the task's run: the scheduler
// started just after it does not review again (and warn a second time) when the task was due.
import { credentialAges, overdueAlert, overdueWarning } from '../config/credential-age.ts';
import { fingerprintsOf } from '../config/credential-fingerprint.ts';
import type { Config } from '../config/schema.ts';
import { alertMailHeldUntil, raiseAlert } from '../alerts/raise-alert.ts';
import type { Logger } from '../log.ts';
import { listCredentialRows, markCredentialsAlerted, recordSeenSecrets } from '../store/credential-fingerprints.ts';
import { ensureFingerprintKey } from '../store/fingerprint-key.ts';
import type { Db } from '../store/open-database.ts';
import { recordRunEnd, recordRunStart } from '../store/schedule-runs.ts';
import type { PeriodicTask, TaskName } from './scheduler.ts';

/**
 * Hourly, though ages are counted in days: an alert that alerts.min_interval_minutes holds
 * back (another credential-age mail just went) is not raised — raised, it would be counted
 * as held back and the mail would announce itself as "1 more alert" — but waits, and the
 * next run sends it, within an hour of the interval's end rather than a day. A run costs a
 * few HMACs and row updates; it logs the overdue secrets only at start and with an alert,
 * not every hour.
 */
export const CREDENTIALS_INTERVAL_MS = 60 * 60_000;

export interface CredentialReviewDeps {
  db: Db;
  config: Config;
  logger: Logger;
  now: () => Date;
  /** Pokes the job runner: an alert mail was queued. */
  jobsQueued?: () => void;
}

export interface CredentialReview {
  secrets: number;
  overdue: number;
  alerted: number;
}

const TASK: TaskName = 'credentials';

/**
 * `atStart`: the daemon is starting (or reloading): every overdue secret is logged, not only
 * those alerted about now, and the review is recorded as the hourly task's run.
 */
export function reviewCredentials(deps: CredentialReviewDeps, options: { atStart: boolean } = { atStart: true }): CredentialReview {
  const now = deps.now();
  const review = reviewAt(deps, now, options.atStart);
  if (options.atStart) {
    recordRunStart(deps.db, TASK, now);
    recordRunEnd(deps.db, TASK, 'ok', null, deps.now());
  }
  return review;
}

function reviewAt(deps: CredentialReviewDeps, now: Date, atStart: boolean): CredentialReview {
  const { db, config, logger } = deps;
  const { key, file, replacedDamaged } = ensureFingerprintKey(config.storage.data_dir);
  if (replacedDamaged) logger.warn('the credential fingerprint key was damaged and is replaced: every secret\'s age starts again from now', { file });
  const seen = fingerprintsOf(config, key);
  const { rotated, resumed } = recordSeenSecrets(db, seen, now);
  for (const setting of rotated) logger.info('credential changed: its age starts again', { setting });
  for (const setting of resumed) logger.info('credential back to a value seen before: it keeps its age', { setting });
  const maxAgeDays = config.credentials.max_age_days;
  const rows = listCredentialRows(db);
  const ages = credentialAges(rows, now, maxAgeDays);
  const overdue = ages.filter((a) => a.overdue);
  const due = overdue.filter((a) => a.alertDue);
  for (const age of atStart ? overdue : due) logger.warn('credential due for rotation', { setting: age.setting, ageDays: age.ageDays, warning: overdueWarning(age, maxAgeDays) });
  const result = { secrets: seen.length, overdue: overdue.length, alerted: 0 };
  if (due.length === 0) return result;
  const mailed = db.transaction(() => {
    const heldUntil = config.alerts.to.length > 0 ? alertMailHeldUntil(deps, 'credential-age', now) : null;
    if (heldUntil) {
      logger.info('credential alert waits for alerts.min_interval_minutes', { settings: due.map((a) => a.setting).join(', '), until: heldUntil.toISOString() });
      return undefined;
    }
    // The alert and its mark in one transaction: a crash sends it either once or not at
    // all (and then the next review sends it). With no alerts.to it is logged, and marked
    // so that it is logged once.
    const queued = raiseAlert({ db, config, logger, now: deps.now }, { kind: 'credential-age', ...overdueAlert(due, maxAgeDays) });
    const fingerprintOf = new Map(rows.map((r) => [r.setting, r.fingerprint]));
    markCredentialsAlerted(db, due.map((a) => ({ setting: a.setting, fingerprint: fingerprintOf.get(a.setting)! })), now);
    return queued;
  })();
  if (mailed === undefined) return result;
  if (mailed) deps.jobsQueued?.();
  return { ...result, alerted: due.length };
}

export function createCredentialsTask(deps: Omit<CredentialReviewDeps, 'now'>): PeriodicTask {
  return {
    name: TASK,
    intervalMs: CREDENTIALS_INTERVAL_MS,
    async run({ now }) {
      return { counts: { ...reviewCredentials({ ...deps, now }, { atStart: false }) }, problems: [] };
    },
  };
}
