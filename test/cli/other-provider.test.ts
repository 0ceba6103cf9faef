// A failed request that went to another provider than the one configured now (provider.type
// switched: allowed while the other's requests are only failed). `retry` would send its step to a
// provider that knows nothing of it; `cancel` would have it withdraw nothing and call it withdrawn,
// its signers still able to sign (operator review M3) — both refused, naming both providers.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCancelCommand } from '../../src/commands/cancel.ts';
import { runRetryCommand } from '../../src/commands/retry.ts';
import { createCancelHandler } from '../../src/completion/cancel-request.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { createProvider } from '../../src/providers/create-provider.ts';
import { listEvents } from '../../src/store/events.ts';
import { enqueueJob, jobsForRequest } from '../../src/store/jobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { getRequest, insertRequest, setDocumentReference } from '../../src/store/requests.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { minimalConfigYaml, runOperator, tempDir, type TempDir } from './helpers.ts';

let dir: TempDir;
beforeAll(async () => { dir = await tempDir('retry-provider-'); });
afterAll(async () => { await dir.remove(); });

it('refuses a request of another provider, and changes nothing', async () => {
  const dataDir = join(dir.path, 'data');
  const db = openDatabase(dataDir);
  const id = insertRequest(db, {
    token: 'tok-retry-provider', state: 'received', route: 'default', provider: 'signicat', requester: 'ann@corp.example',
    subject: 'Contract', messageId: '<retry-provider@corp.example>', record: null, signers: [], dueDate: '2026-12-31', documents: [],
  }, new Date());
  db.prepare("UPDATE requests SET state = 'failed' WHERE id = ?").run(id);
  db.close();
  // The configuration names Secured Signing (minimalConfigYaml's provider).
  const config = await dir.file('signrelay.yaml', minimalConfigYaml('routes: {default: {}}', dataDir));
  await expect(runOperator(runRetryCommand, [id], config)).rejects.toMatchObject({
    code: 'not_retryable', message: `request ${id} went to signicat, and this signrelay's provider is secured-signing: only a signrelay with signicat can retry it`,
  });
  const after = openDatabase(dataDir);
  expect(getRequest(after, id)!.state).toBe('failed');
  after.close();
});

it('refuses to cancel a request whose documents are out at another provider, by an operator or by a job queued before the switch', async () => {
  const dataDir = join(dir.path, 'cancel-data');
  const db = openDatabase(dataDir);
  const id = insertRequest(db, {
    token: 'tok-cancel-provider', state: 'received', route: 'default', provider: 'secured-signing', requester: 'ann@corp.example',
    subject: 'Contract', messageId: '<cancel-provider@corp.example>', record: null,
    signers: [{ firstName: 'Bob', lastName: 'Stone', email: 'bob@example.com' }], dueDate: '2026-12-31',
    documents: [{ fileName: 'contract.pdf', originalSha256: 'a'.repeat(64) }],
  }, new Date());
  setDocumentReference(db, id, 1, 'SS-DOC-4711'); // uploaded and sent at Secured Signing
  db.prepare("UPDATE requests SET state = 'failed' WHERE id = ?").run(id);
  enqueueJob(db, { kind: 'cancel', requestId: id, payload: {} }, new Date()); // queued before the switch
  db.close();
  const configFile = await dir.file('signicat.yaml', minimalConfigYaml('routes: {default: {}}', dataDir)
    .replace(/^provider: .*$/m, 'provider: {type: signicat, client_id: c, client_secret: s, signature_methods: [{name: nbid-sign, type: SIGNED_STATEMENT}]}'));

  const refusal = `request ${id} went to secured-signing, and this signrelay's provider is signicat: only a signrelay with secured-signing can withdraw it (its signers can still sign there)`;
  await expect(runOperator(runCancelCommand, [id], configFile)).rejects.toMatchObject({ code: 'not_cancellable', message: refusal });

  // The job, run by a daemon on the new provider: refused, nothing called withdrawn, nobody told it was cancelled.
  const config = loadConfigFile(configFile, { requireSecrets: false });
  const run = openDatabase(dataDir);
  const log = createTestLogger();
  const provider = createProvider(config.provider, { db: run, logger: log.logger });
  const handler = createCancelHandler({ db: run, config, provider, logger: log.logger, now: () => new Date() });
  const job = jobsForRequest(run, id).find((j) => j.kind === 'cancel')!;
  await expect(handler.run(job as never)).rejects.toMatchObject({ kind: 'permanent', code: 'not_cancellable', message: refusal });
  expect(getRequest(run, id)!.state).toBe('failed');
  expect(jobsForRequest(run, id).map((j) => j.kind)).toEqual(['cancel']);
  expect(listEvents(run, id).filter((e) => e.kind === 'effect')).toEqual([]);
  run.close();
});
