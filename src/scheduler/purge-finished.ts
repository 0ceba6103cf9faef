// The `retention` task: deletes the PDF files (originals, stamped and signed copies, mail
// attachments kept for trust_attachment) of finished requests older than retention.days,
// and records a `purged` note. The request rows and the audit trail stay — but for mail
// refused at intake, which never became a request: its row and trail are deleted (its
// `messages` row stays). Files first, then the note: a crash in between only means the next
// run deletes nothing and notes it.
// It also removes the blob store's temp files that a crash left a day ago or more, and the
// stored files no request names that were not written for retention.days (orphans: see namedBlobs).
import { rmSync } from 'node:fs';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import type { Config } from '../config/schema.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BlobStore } from '../store/blobs.ts';
import type { Db } from '../store/open-database.ts';
import { blobNamedElsewhere, blobsOfRequest, databaseMadeAt, deleteRefusedRequests, listPurgeableRequests, namedBlobs, recordPurged, REFUSED_BATCH, deleteUnattachedRows } from '../store/retention.ts';
import type { PeriodicTask } from './scheduler.ts';
import { DAY_MS } from '../time.ts';

/** Retention is counted in days; once a day is enough. */
export const RETENTION_INTERVAL_MS = DAY_MS;

export interface RetentionDeps {
  db: Db;
  blobs: BlobStore;
  config: Config;
  logger: Logger;
}

export function createRetentionTask(deps: RetentionDeps): PeriodicTask {
  const days = deps.config.schedule.retention.days;
  return {
    name: 'retention',
    intervalMs: RETENTION_INTERVAL_MS,
    async run({ now, signal }) {
      const counts = { requests: 0, files: 0, refused: 0, unattached: 0, abandonedTemps: 0, orphans: 0 };
      const problems: string[] = [];
      const cutoff = new Date(now().getTime() - days * DAY_MS);
      for (const requestId of listPurgeableRequests(deps.db, cutoff)) {
        // The daemon's other work — its mail, its jobs, /healthz, the watchdog, a stop — in between.
        await setImmediatePromise();
        if (signal.aborted) break;
        try {
          const deleted: string[] = [];
          const kept: string[] = [];
          for (const hash of blobsOfRequest(deps.db, requestId)) {
            if (blobNamedElsewhere(deps.db, hash, requestId)) {
              kept.push(hash);
              continue;
            }
            // force: a file already gone (an earlier interrupted purge) is not an error.
            rmSync(deps.blobs.pathOf(hash), { force: true });
            deleted.push(hash);
          }
          recordPurged(deps.db, requestId, { deleted, kept, retentionDays: days }, now());
          counts.requests++;
          counts.files += deleted.length;
        } catch (err) {
          problems.push(`request ${requestId}: ${describeError(err)}`);
          deps.logger.warn('retention could not purge a request', { requestId, error: describeError(err) });
        }
      }
      try {
        // A batch at a time, the daemon's other work let in between: a backlog of junk may be large.
        for (let batch = REFUSED_BATCH; batch === REFUSED_BATCH && !signal.aborted; await setImmediatePromise()) {
          batch = deleteRefusedRequests(deps.db, cutoff);
          counts.refused += batch;
        }
      } catch (err) {
        problems.push(`refused mails' rows: ${describeError(err)}`);
      }
      try {
        const unattached = deleteUnattachedRows(deps.db, cutoff);
        counts.unattached = unattached.attempts + unattached.notes + unattached.jobs;
      } catch (err) {
        problems.push(`rows of no request: ${describeError(err)}`);
      }
      try {
        counts.abandonedTemps = deps.blobs.removeAbandonedTemps(new Date(now().getTime() - DAY_MS));
      } catch (err) {
        problems.push(`abandoned temp files: ${describeError(err)}`);
      }
      try {
        if (!signal.aborted) {
          // Kept as long as a request's files are: a database restored from a backup names none
          // of the requests made since, whose PDFs are then the evidence of what went out
          // (restore review M1) — never a day-old sweep's to delete.
          const window = { from: databaseMadeAt(deps.db), before: cutoff };
          counts.orphans = await deps.blobs.removeUnnamed(namedBlobs(deps.db), window, signal);
        }
      } catch (err) {
        problems.push(`files no request names: ${describeError(err)}`);
      }
      return { counts, problems };
    },
  };
}
