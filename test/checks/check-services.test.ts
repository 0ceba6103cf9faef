// `check` proves the configured Signicat and ServiceNow credentials with a grant of its own:
// the daemon's stored token (obtained with the values before a rotation) must not make a
// mistyped new client secret or password pass, which is what credentials.md's rotation asks
// check to prove. Against the simulators, which refuse a wrong secret as the services do.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceCheckItems } from '../../src/checks/check-services.ts';
import type { CheckResult } from '../../src/checks/checklist.ts';
import { configSchema, type Config, type ServiceNowConfig } from '../../src/config/schema.ts';
import { createProvider } from '../../src/providers/create-provider.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { startSignicatSimulator, type SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { createServiceNowClient } from '../../src/servicenow/client.ts';
import { SERVICENOW_TOKEN_NAME } from '../../src/servicenow/types.ts';
import { loadToken, saveToken } from '../../src/store/oauth-tokens.ts';
import { openDatabase, type Db } from '../../src/store/open-database.ts';
import { CLIENT_ID as SN_CLIENT_ID, CLIENT_SECRET as SN_CLIENT_SECRET, passwordGrant, SEED, SN_PASSWORD, SN_USER, snConfig } from '../servicenow/fixtures.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { signicatTokenName } from '../../src/providers/signicat/token-row.ts';
import type { SignicatConfig } from '../../src/config/schema.ts';

const CLIENT_ID = 'signrelay-client';
const CLIENT_SECRET = 'signicat-secret-right-5e1';
const WRONG = 'mistyped-new-secret-never-shown-9f8e';

let signicat: SignicatSimulator;
let servicenow: ServiceNowSimulator;
let dir: string;
let db: Db;

beforeAll(async () => {
  signicat = await startSignicatSimulator({ clients: { [CLIENT_ID]: { secret: CLIENT_SECRET } } });
  servicenow = await startServiceNowSimulator({ users: { [SN_USER]: SN_PASSWORD }, oauthClients: { [SN_CLIENT_ID]: SN_CLIENT_SECRET }, records: SEED });
  dir = await mkdtemp(join(tmpdir(), 'signrelay-check-services-'));
  db = openDatabase(dir);
});
afterAll(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
  await signicat.close();
  await servicenow.close();
});

function config(secret: string, auth: ServiceNowConfig['auth']): Config {
  const provider = configSchema.shape.provider.parse({
    type: 'signicat', base_url: signicat.url, token_url: signicat.tokenUrl, client_id: CLIENT_ID, client_secret: secret,
    signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }], timeout_seconds: 5,
  });
  return { provider, servicenow: snConfig(servicenow.url, auth), routes: { default: {} }, records: { INC: 'incident' } } as unknown as Config;
}

async function run(cfg: Config, title: string): Promise<CheckResult[]> {
  const item = serviceCheckItems(cfg, () => openDatabase(dir), createTestLogger().logger).find((i) => i.title === title)!;
  const result = await item.run();
  return Array.isArray(result) ? result : [result];
}

describe('check obtains its own Signicat and ServiceNow tokens', () => {
  it('a mistyped Signicat client secret fails although the daemon holds a token from the right one', async () => {
    // The daemon's provider, with the right secret, stores its token in the data dir.
    await createProvider(config(CLIENT_SECRET, passwordGrant()).provider, { db, logger: createTestLogger().logger }).accountInfo();
    const row = signicatTokenName(config(CLIENT_SECRET, passwordGrant()).provider as SignicatConfig);
    const stored = loadToken(db, row);
    expect(stored?.accessToken).toBeTruthy();

    const wrong = await run(config(WRONG, passwordGrant()), 'Signicat');
    expect(wrong).toHaveLength(1);
    expect(wrong[0]!.ok).toBe(false);
    expect(wrong[0]!.detail).toMatch(/HTTP 401/);
    expect(wrong[0]!.detail).not.toContain(WRONG);
    // The right one passes, and the daemon's token is left as it was.
    expect(await run(config(CLIENT_SECRET, passwordGrant()), 'Signicat')).toMatchObject([{ ok: true, detail: 'client credentials and token accepted' }]);
    expect(loadToken(db, row)).toEqual(stored);
  });

  // Fuzz review M1: the token URL's 404 was taken for the Sign API's "no such document", the access check's proof.
  it('a Signicat token_url that answers 404 (a wrong path) fails, naming provider.token_url', async () => {
    const cfg = config(CLIENT_SECRET, passwordGrant());
    const wrongPath = { ...cfg, provider: { ...cfg.provider, token_url: `${new URL(signicat.tokenUrl).origin}/wrong/token` } } as Config;
    const [result] = await run(wrongPath, 'Signicat');
    expect(result).toMatchObject({ ok: false });
    expect(result!.detail).toMatch(/token endpoint answered HTTP 404 .*provider\.token_url/);
  });

  it('a mistyped ServiceNow client secret or password fails although the daemon holds a token from the right ones', async () => {
    const store = { load: () => loadToken(db, SERVICENOW_TOKEN_NAME), save: (t: Parameters<typeof saveToken>[2]) => saveToken(db, SERVICENOW_TOKEN_NAME, t, new Date()) };
    await createServiceNowClient({ config: snConfig(servicenow.url, passwordGrant()), tokenStore: store }).probeRead('incident');
    expect(loadToken(db, SERVICENOW_TOKEN_NAME)?.accessToken).toBeTruthy();

    for (const auth of [passwordGrant({ client_secret: WRONG }), passwordGrant({ password: WRONG })]) {
      const results = await run(config(CLIENT_SECRET, auth), 'ServiceNow');
      expect(results).toHaveLength(1);
      expect(results[0]!.ok).toBe(false);
      expect(results[0]!.detail).toMatch(/servicenow\.auth/);
      expect(results[0]!.detail).not.toContain(WRONG);
    }
    expect((await run(config(CLIENT_SECRET, passwordGrant()), 'ServiceNow')).every((r) => r.ok)).toBe(true);
  });
});

describe('check names the HTTP proxy its environment sets', () => {
  const items = (env: NodeJS.ProcessEnv) => serviceCheckItems(config(CLIENT_SECRET, passwordGrant()), () => openDatabase(dir), createTestLogger().logger, env);

  it('no line without one', () => {
    expect(items({}).map((i) => i.title)).not.toContain('HTTP proxy');
  });

  it('where the calls go, the login left out', async () => {
    const proxy = items({ HTTPS_PROXY: 'http://me:hidden-pw@proxy.corp.example:3128', NO_PROXY: '.corp.example' }).find((i) => i.title === 'HTTP proxy')!;
    expect(await proxy.run()).toEqual({ ok: true, detail: 'https through http://proxy.corp.example:3128 (HTTPS_PROXY); this machine and the hosts in NO_PROXY directly' });
  });

  it('HTTP_PROXY alone: said to be unread, since every service is https', async () => {
    const proxy = items({ HTTP_PROXY: 'http://proxy.corp.example:3128' }).find((i) => i.title === 'HTTP proxy')!;
    expect(await proxy.run()).toEqual({
      ok: true, detail: 'none: the services are reached directly',
      warnings: ['HTTP_PROXY is not read: every service is called over https, through the proxy in HTTPS_PROXY — set that one'],
    });
  });

  it('a value it cannot use: ✗ naming the variable and where to fix it', async () => {
    const proxy = items({ https_proxy: 'socks5://127.0.0.1:1080' }).find((i) => i.title === 'HTTP proxy')!;
    expect(await proxy.run()).toMatchObject({ ok: false, detail: expect.stringContaining('https_proxy names a socks5 proxy'), fix: expect.stringContaining('Environment=') });
  });
});
