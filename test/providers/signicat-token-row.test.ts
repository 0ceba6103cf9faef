// Signicat's access token was kept in one oauth_tokens row, whatever client, scope or token
// endpoint it was granted for (Signicat review M1): after a switch from the test client to the
// production one the daemon went on calling with the test client's token, and after a wrong
// provider.scope was set right every call stayed 403 — while `check` said all was well. Each
// client and scope has its own row now.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { configSchema, type SignicatConfig } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { createProvider } from '../../src/providers/create-provider.ts';
import { memoryStore } from '../../src/http/token-manager.ts';
import { startSignicatSimulator, type SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { openDatabase } from '../../src/store/open-database.ts';

let sim: SignicatSimulator;
beforeAll(async () => {
  sim = await startSignicatSimulator({
    clients: {
      'test-account': { secret: 'test-secret', scopes: ['signicat-api'] },
      'prod-account': { secret: 'prod-secret', scopes: ['signicat-api', 'openid'] },
    },
    accessTokenLifetimeSeconds: 3600,
  });
});
afterAll(() => sim.close());

function config(over: Record<string, unknown>): SignicatConfig {
  const parsed = configSchema.shape.provider.parse({
    type: 'signicat', base_url: sim.url, token_url: sim.tokenUrl,
    signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }], timeout_seconds: 5, ...over,
  });
  if (parsed.type !== 'signicat') throw new Error('not signicat');
  return parsed;
}

/** The client_id of every token grant the simulator answered. */
const grants = () => sim.calls.filter((c) => c.path.endsWith('/connect/token')).map((c) => (c.body as Record<string, string>).client_id);

it('after provider.client_id changes, the daemon asks for a token of the new client', async () => {
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'sig-token-')));
  const before = createProvider(config({ client_id: 'test-account', client_secret: 'test-secret' }), { db, logger: silentLogger() });
  await before.accountInfo();
  expect(grants()).toEqual(['test-account']);

  // The operator moves to the production client and restarts / reloads: a new provider, same data dir.
  const after = createProvider(config({ client_id: 'prod-account', client_secret: 'prod-secret' }), { db, logger: silentLogger() });
  await after.accountInfo();
  expect(grants()).toEqual(['test-account', 'prod-account']);
});

it('after a wrong provider.scope is set right, the daemon\'s calls work as check said they would', async () => {
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'sig-scope-')));
  const wrong = createProvider(config({ client_id: 'prod-account', client_secret: 'prod-secret', scope: 'openid' }), { db, logger: silentLogger() });
  await expect(wrong.accountInfo()).rejects.toMatchObject({ kind: 'auth', code: 'provider_auth' });

  const fixed = config({ client_id: 'prod-account', client_secret: 'prod-secret', scope: 'signicat-api' });
  // `signrelay check` (check-services.ts: its own fresh grant) says the fixed configuration works …
  await expect(createProvider(fixed, { db, logger: silentLogger(), tokenStore: memoryStore() }).accountInfo()).resolves.toBeDefined();
  // … and so does the daemon on it: a token of the scope set right, not the one stored for the wrong scope.
  const daemon = createProvider(fixed, { db, logger: silentLogger() });
  await expect(daemon.accountInfo()).resolves.toBeDefined();
});
