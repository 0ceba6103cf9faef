// Secured Signing's tokens are kept per API key (providers/secured-signing/token-row.ts):
// during a rotation `signrelay authorize` stores the new key's tokens beside the old key's,
// and the daemon still running with the old key goes on with its own until the reload —
// here against the simulator, which refuses any token but the ones it issued. An older
// installation's shared row is read until the key's own row is written.
import { afterEach, describe, expect, it } from 'vitest';
import { authorizationFlow } from '../../src/providers/authorization.ts';
import { createProvider } from '../../src/providers/create-provider.ts';
import { SHARED_TOKEN_NAME, securedSigningTokenName } from '../../src/providers/secured-signing/token-row.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { loadToken, saveToken } from '../../src/store/oauth-tokens.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { API_KEY, API_SECRET, REFERER, providerConfig } from '../sandbox/fixtures.ts';

let sim: SecuredSigningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const HOUR_MS = 3_600_000;
const NEW_KEY = 'sim-api-key-0002-rotated';

function tokenNameOf(config: ReturnType<typeof providerConfig>): string {
  const flow = authorizationFlow(config);
  if ('nothing' in flow) throw new Error(flow.nothing);
  return flow.tokenName;
}

describe('Secured Signing tokens per API key', () => {
  it('authorize for the new key leaves the old key\'s tokens to the daemon still running with it', async () => {
    sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER });
    const db = openMemoryDatabase();
    const oldKey = providerConfig(sim);
    const running = createProvider(oldKey, { db, logger: createTestLogger().logger });
    const issued = sim.issueTokens();
    saveToken(db, tokenNameOf(oldKey), { ...issued, expiresAt: Date.now() + HOUR_MS }, new Date());

    // The rotation's step 3: `signrelay authorize` with the new key in the credential file.
    const newKey = providerConfig(sim, { api_key: NEW_KEY });
    expect(tokenNameOf(newKey)).not.toBe(tokenNameOf(oldKey));
    saveToken(db, tokenNameOf(newKey), { accessToken: 'new-key-access', refreshToken: 'new-key-refresh', expiresAt: Date.now() + HOUR_MS }, new Date());

    await running.accountInfo();
    const accountCall = sim.calls.filter((c) => !c.path.endsWith('/token')).at(-1)!;
    expect(accountCall.headers.authorization).toBe(`Bearer ${issued.accessToken}`);
    expect(loadToken(db, tokenNameOf(newKey))).toMatchObject({ accessToken: 'new-key-access', refreshToken: 'new-key-refresh' });
  });

  it('names the row by a hash of the key, never the key', () => {
    expect(securedSigningTokenName(API_KEY)).toMatch(/^secured-signing:[0-9a-f]{16}$/);
    expect(securedSigningTokenName(API_KEY)).not.toContain(API_KEY);
    expect(securedSigningTokenName(NEW_KEY)).not.toBe(securedSigningTokenName(API_KEY));
  });

  it('reads the shared row of an older installation until the key\'s own is written', async () => {
    sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER });
    const db = openMemoryDatabase();
    const issued = sim.issueTokens();
    // Due for refresh: the provider spends the shared refresh token and saves under the key.
    saveToken(db, SHARED_TOKEN_NAME, { ...issued, expiresAt: Date.now() - 1000 }, new Date());
    await createProvider(providerConfig(sim), { db, logger: createTestLogger().logger }).accountInfo();
    expect(loadToken(db, securedSigningTokenName(API_KEY))?.refreshToken).toEqual(expect.any(String));
    expect(loadToken(db, securedSigningTokenName(API_KEY))?.refreshToken).not.toBe(issued.refreshToken);
  });
});
