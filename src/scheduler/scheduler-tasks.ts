// The daemon's periodic tasks, built from the configuration: what daemon.ts hands to the
// scheduler. Its own file so the daemon's wiring stays one line and tests can build the
// same set.
import { sendHeldAlerts } from '../alerts/raise-alert.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { SigningProvider } from '../providers/provider.ts';
import type { BlobStore } from '../store/blobs.ts';
import type { Db } from '../store/open-database.ts';
import { createRetentionTask } from './purge-finished.ts';
import { createReconcileTask } from './reconcile-sent-requests.ts';
import type { PeriodicTask } from './scheduler.ts';
import { createRemindersTask } from './send-reminders.ts';
import { createCredentialsTask } from './review-credentials.ts';

export interface SchedulerTaskDeps {
  db: Db;
  blobs: BlobStore;
  config: Config;
  provider: SigningProvider;
  logger: Logger;
  jobsQueued?: () => void;
}

export function createSchedulerTasks(deps: SchedulerTaskDeps): PeriodicTask[] {
  const logger = (task: string) => deps.logger.child({ task });
  return [
    createReconcileTask({ ...deps, logger: logger('reconcile') }),
    createRemindersTask({ ...deps, logger: logger('reminders') }),
    createRetentionTask({ ...deps, logger: logger('retention') }),
    createCredentialsTask({ ...deps, logger: logger('credentials') }),
    createHeldAlertsTask({ ...deps, logger: logger('alerts') }),
  ];
}

/** Every 5 minutes: alerts that alerts.min_interval_minutes held back go out as a summary once it ends. */
const HELD_ALERTS_INTERVAL_MS = 5 * 60_000;

function createHeldAlertsTask(deps: Pick<SchedulerTaskDeps, 'db' | 'config' | 'logger' | 'jobsQueued'>): PeriodicTask {
  return {
    name: 'alerts',
    intervalMs: HELD_ALERTS_INTERVAL_MS,
    async run({ now }) {
      const summaries = sendHeldAlerts({ db: deps.db, config: deps.config, logger: deps.logger, now });
      if (summaries > 0) deps.jobsQueued?.();
      return { counts: { summaries }, problems: [] };
    },
  };
}
