// The `reconcile` task: the sweep behind the completion mails. For every request still
// `sent` with no `complete` job queued, ask the provider for each document's status;
// Complete past the grace period, or a refusal, queues the `complete` job, which
// downloads and delivers — or records the refusal — exactly as it does for a mail. Each
// signer the provider newly reports as signed gets its note on the record first
// (queue-signer-progress.ts). Nothing else is decided here. One request failing to answer does not stop the others;
// the provider's 429 stops the run (the rest at the next one).
import type { Config } from '../config/schema.ts';
import { describeError, isProviderRateLimited } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { DocumentStatus, SigningProvider } from '../providers/provider.ts';
import type { Db } from '../store/open-database.ts';
import { queueSignerProgress, readStatuses } from '../notices/queue-signer-progress.ts';
import { listSentRequests, queueCompleteJob } from '../store/sent-requests.ts';
import { decideReconcile } from './reconcile-decision.ts';
import type { PeriodicTask } from './scheduler.ts';

export interface ReconcileDeps {
  db: Db;
  config: Config;
  provider: SigningProvider;
  logger: Logger;
  jobsQueued?: () => void;
}

export function createReconcileTask(deps: ReconcileDeps): PeriodicTask {
  const graceMs = deps.config.schedule.completion_grace_minutes * 60_000;
  return {
    name: 'reconcile',
    intervalMs: deps.config.schedule.reconcile_minutes * 60_000,
    async run({ now, signal }) {
      const counts = { checked: 0, queued: 0, waiting: 0, signersNoted: 0 };
      const problems: string[] = [];
      for (const { request, sentAt, completePending } of listSentRequests(deps.db)) {
        if (signal.aborted) break;
        if (completePending) continue; // a completion mail (or an earlier run) already queued it
        counts.checked++;
        let statuses: DocumentStatus[];
        try {
          statuses = await readStatuses(deps.db, deps.provider, request);
        } catch (err) {
          problems.push(`request ${request.id}: ${describeError(err)}`);
          deps.logger.warn('reconcile could not read a status', { requestId: request.id, error: describeError(err) });
          if (isProviderRateLimited(err)) break; // the rest at the next run
          continue;
        }
        // Before the decision: a note for a signature comes before the completion it may lead to.
        counts.signersNoted += queueSignerProgress(deps.db, deps.config, request.id, statuses, now());
        const decision = decideReconcile(statuses, sentAt, graceMs, now());
        if (decision.action === 'wait') {
          counts.waiting++;
          continue;
        }
        const note = { reconcile: decision.why, reference: decision.reference, providerStatus: decision.raw };
        if (queueCompleteJob(deps.db, request.id, note, now())) {
          counts.queued++;
          deps.logger.info('reconcile queued completion', { requestId: request.id, why: decision.why, reference: decision.reference });
        }
      }
      if (counts.queued > 0 || counts.signersNoted > 0) deps.jobsQueued?.();
      return { counts, problems };
    },
  };
}
