// Shared by the scheduler tests that need real parts: a data directory with the real
// migrations, the blob store, the Secured Signing simulator and the real client, and
// requests brought to `sent` by the real submit job at a chosen time. The scheduler runs
// with an injected clock and a hand-driven heartbeat, so nothing waits for a real minute.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.ts';
import { createSubmitHandler } from '../../src/intake/submit-request.ts';
import { silentLogger } from '../../src/log.ts';
import { newRequestToken } from '../../src/pdf/request-token.ts';
import { stampPdf } from '../../src/pdf/pdf-tasks.ts';
import type { SigningProvider } from '../../src/providers/provider.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { startSecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.ts';
import { createSchedulerTasks } from '../../src/scheduler/scheduler-tasks.ts';
import { BlobStore } from '../../src/store/blobs.ts';
import { enqueueJob, jobsForRequest } from '../../src/store/jobs.ts';
import { loadToken, saveToken } from '../../src/store/oauth-tokens.ts';
import { openDatabase, type Db } from '../../src/store/open-database.ts';
import { getDocuments, getRequest, insertRequest, setDocumentStamped, transition } from '../../src/store/requests.ts';
import { contractPdf } from '../integration/world.ts';
import type { Signer } from '../../src/signer.ts';
import { securedSigningOf } from '../support/provider-config.ts';

const API_KEY = 'k-scheduler';
const API_SECRET = 's-scheduler-secret';
const REFERER = 'https://corp.example';

export type Simulator = Awaited<ReturnType<typeof startSecuredSigningSimulator>>;

export function testConfig(schedule: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    mailboxes: { requests: { host: 'h', user: 'u', password: 'p', address: 'sign@corp.example' }, returns: { address: 'returns@corp.example', folder: 'Returns' } },
    smtp: { host: 'h', from: 'signrelay <sign@corp.example>' },
    provider: { api_key: API_KEY, api_secret: API_SECRET, referer: REFERER },
    servicenow: { instance_url: 'https://acme.service-now.com', auth: { type: 'basic', user: 'u', password: 'p' } },
    alerts: { to: ['admins@corp.example'] },
    routes: { default: { reminder_days_before: 2 }, quiet: { reminder_days_before: 0 } },
    schedule,
  });
}

export interface SchedulerWorld {
  dataDir: string;
  db: Db;
  blobs: BlobStore;
  config: Config;
  simulator: Simulator;
  provider: SigningProvider;
  /** The scheduler's clock; tests move it. */
  clock: { now: Date };
  /** A request stamped, uploaded and sent by the real submit job at `at`; returns its id and provider reference. */
  /** `documents`: how many PDFs the request has (default 1). */
  sentRequest(at: Date, options?: { route?: string; dueDate?: string; signers?: Signer[]; documents?: number; recordTable?: string }): Promise<{ id: string; reference: string }>;
  /** Starts the daemon's scheduler on this world (the start-up catch-up runs at once). */
  startScheduler(): Scheduler;
  /** A restart: stops the scheduler, closes and reopens the database. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startSchedulerWorld(schedule: Record<string, unknown> = {}): Promise<SchedulerWorld> {
  const simulator = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, oauth: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'signrelay-scheduler-'));
  const defaults = testConfig(schedule);
  // The data dir is the world's: the credentials task keeps its fingerprint key there.
  const config: Config = { ...defaults, storage: { ...defaults.storage, data_dir: dataDir } };
  const refreshToken = simulator.issueTokens().refreshToken;
  let scheduler: Scheduler | undefined;

  const world: SchedulerWorld = {
    dataDir, config, simulator,
    db: openDatabase(dataDir),
    blobs: new BlobStore(dataDir),
    clock: { now: new Date() },
    provider: createSecuredSigningClient({
      config: securedSigningOf({ provider: configSchema.shape.provider.parse({
        environment: simulator.url, oauth_url: simulator.oauthUrl, api_key: API_KEY, api_secret: API_SECRET, referer: REFERER, refresh_token: refreshToken,
      }) }),
      tokenStore: { load: () => loadToken(world.db, 'secured-signing'), save: (t) => saveToken(world.db, 'secured-signing', t, new Date()) },
    }),

    async sentRequest(at, options = {}) {
      const { db, blobs } = world;
      const token = newRequestToken();
      const signers = options.signers ?? [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' }];
      const count = options.documents ?? 1;
      const originals = await Promise.all(Array.from({ length: count }, (_, i) => contractPdf(i === 0 ? undefined : `Annex ${i}`)));
      const names = originals.map((_, i) => (i === 0 ? 'contract' : `annex-${i}`));
      const id = insertRequest(db, {
        token, state: 'received', route: options.route ?? 'default', provider: 'secured-signing', requester: 'helen@corp.example',
        subject: 'RITM0010001', messageId: null, record: { number: 'RITM0010001', ...(options.recordTable ? { table: options.recordTable } : {}) }, signers, dueDate: options.dueDate ?? '2099-01-31',
        documents: originals.map((original, i) => ({ fileName: `${names[i]}.pdf`, originalSha256: blobs.put(original) })),
      }, at);
      for (const [i, original] of originals.entries()) {
        const stamped = await stampPdf(original, {
          token, returnAddress: `returns+${token}@corp.example`, recipientLetter: 'C', signers,
          request: { record: 'RITM0010001' }, stamping: config.stamping,
        });
        setDocumentStamped(db, id, i + 1, blobs.put(stamped), `${names[i]}--signrelay-${token}.pdf`);
      }
      transition(db, id, 'stamped', at);
      enqueueJob(db, { kind: 'submit', requestId: id }, at);
      const submit = createSubmitHandler({ db, blobs, config, provider: world.provider, logger: silentLogger(), now: () => at });
      await submit.run(jobsForRequest(db, id)[0]!);
      if (getRequest(db, id)?.state !== 'sent') throw new Error(`request ${id} was not sent`);
      return { id, reference: getDocuments(db, id)[0]!.providerRef! };
    },

    startScheduler() {
      scheduler = startScheduler({
        db: world.db, logger: silentLogger(), now: () => world.clock.now,
        tasks: createSchedulerTasks({ db: world.db, blobs: world.blobs, config, provider: world.provider, logger: silentLogger() }),
        heartbeat: () => ({ stop() {} }),
      });
      return scheduler;
    },

    async restart() {
      await scheduler?.stop();
      scheduler = undefined;
      world.db.close();
      world.db = openDatabase(dataDir);
    },

    async close() {
      await scheduler?.stop();
      world.db.close();
      await simulator.close();
    },
  };
  return world;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;
export const later = (from: Date, ms: number): Date => new Date(from.getTime() + ms);
