// The credential review: records the secrets the daemon was started with (a fingerprint
// and when it was first seen, never the value) and tells the operators, once per secret
// value, when one has been unchanged for longer than credentials.max_age_days. It runs at
// every start — a reload is a start, so a rotated secret starts its age at once — and as
// the daily `credentials` task, so a daemon that runs for months still notices the day a
// secret passes its age.
import { credentialAges, overdueAlert, overdueWarning } from '../config/credential-age.ts';
import { fingerprintSecret } from '../config/credential-fingerprint.ts';
import type { Config } from '../config/schema.ts';
import { secretSettings } from '../config/secret-settings.ts';
import { raiseAlert } from '../alerts/raise-alert.ts';
import type { Logger } from '../log.ts';
import { listCredentialRows, markCredentialsAlerted, recordSeenSecrets, type SeenSecret } from '../store/credential-fingerprints.ts';
import { fingerprintKey } from '../store/fingerprint-key.ts';
import type { Db } from '../store/open-database.ts';
import type { PeriodicTask } from './scheduler.ts';

/** Ages are counted in days; once a day is enough (and every start). */
export const CREDENTIALS_INTERVAL_MS = 24 * 60 * 60_000;

export interface CredentialReviewDeps {
  db: Db;
  config: Config;
  logger: Logger;
  now: () => Date;
  /** Pokes the job runner: an alert mail was queued. */
  jobsQueued?: () => void;
}

/** The rotated secrets of a configuration, fingerprinted with the installation's key (created if missing when `create`). */
export function fingerprintsOf(config: Config, options: { create: boolean }): SeenSecret[] | undefined {
  const key = fingerprintKey(config.storage.data_dir, options);
  if (!key) return undefined;
  return secretSettings(config).filter((s) => s.rotated).map((s) => ({ setting: s.setting, fingerprint: fingerprintSecret(key, s.setting, s.value) }));
}

export function reviewCredentials(deps: CredentialReviewDeps): { secrets: number; overdue: number; alerted: number } {
  const { db, config, logger } = deps;
  const now = deps.now();
  const seen = fingerprintsOf(config, { create: true });
  if (!seen) throw new Error(`the credential fingerprint key in ${config.storage.data_dir} could not be made`);
  const { rotated } = recordSeenSecrets(db, seen, now);
  for (const setting of rotated) logger.info('credential changed: its age starts again', { setting });
  const maxAgeDays = config.credentials.max_age_days;
  const ages = credentialAges(listCredentialRows(db), now, maxAgeDays);
  const overdue = ages.filter((a) => a.overdue);
  for (const age of overdue) logger.warn('credential due for rotation', { setting: age.setting, ageDays: age.ageDays, warning: overdueWarning(age, maxAgeDays) });
  const due = overdue.filter((a) => a.alertDue);
  if (due.length === 0) return { secrets: seen.length, overdue: overdue.length, alerted: 0 };
  // The alert and its record in one transaction: a crash sends it either once or not at
  // all (and then the next review sends it). Held back by alerts.min_interval_minutes, it
  // is not marked, so the next review tries again; with no alerts.to there is nothing to wait for.
  const marked = db.transaction(() => {
    const mailed = raiseAlert({ db, config, logger, now: deps.now }, { kind: 'credential-age', ...overdueAlert(due, maxAgeDays) });
    if (!mailed && config.alerts.to.length > 0) return false;
    markCredentialsAlerted(db, due.map((a) => a.setting), now);
    return true;
  })();
  if (marked && config.alerts.to.length > 0) deps.jobsQueued?.();
  return { secrets: seen.length, overdue: overdue.length, alerted: marked ? due.length : 0 };
}

export function createCredentialsTask(deps: Omit<CredentialReviewDeps, 'now'>): PeriodicTask {
  return {
    name: 'credentials',
    intervalMs: CREDENTIALS_INTERVAL_MS,
    async run({ now }) {
      return { counts: reviewCredentials({ ...deps, now }), problems: [] };
    },
  };
}
