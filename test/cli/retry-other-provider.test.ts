// `signrelay retry` of a failed request that went to another provider than the one configured
// now: its step would go to a provider that knows nothing of it — refused, naming both.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runRetryCommand } from '../../src/commands/retry.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { getRequest, insertRequest } from '../../src/store/requests.ts';
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
