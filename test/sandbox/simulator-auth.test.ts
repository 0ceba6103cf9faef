// The simulator enforces Secured Signing's authentication the way the documentation says
// the real service does; each test breaks exactly one rule of an otherwise valid request.
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenManager } from '../../src/providers/secured-signing/oauth.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { API_KEY, API_SECRET, REFERER, memoryTokenStore } from './fixtures.ts';

let sim: SecuredSigningSimulator;
let bearer: string;
beforeAll(async () => {
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, oauth: true, accessTokenLifetimeSeconds: 30 });
  bearer = sim.issueTokens().accessToken;
});
afterAll(() => sim.close());

function validHeaders(p: { date?: string; nonce?: string; secret?: string } = {}): Record<string, string> {
  const date = p.date ?? String(Math.floor(Date.now() / 1000));
  const nonce = p.nonce ?? randomBytes(16).toString('hex');
  const signature = createHmac('sha256', p.secret ?? API_SECRET).update(`${API_KEY}\n${date}\n${nonce}`).digest('base64');
  return {
    'X-CUSTOM-API-KEY': API_KEY, 'X-CUSTOM-DATE': date, 'X-CUSTOM-NONCE': nonce, 'X-CUSTOM-SIGNATURE': signature,
    Referer: REFERER, Authorization: `Bearer ${bearer}`, Accept: 'application/json',
  };
}

async function accountInfo(headers: Record<string, string>): Promise<{ status: number; body: { ResponseStatus?: { Message?: string } } }> {
  const response = await fetch(`${sim.url}/Account/Info`, { headers });
  return { status: response.status, body: await response.json() as { ResponseStatus?: { Message?: string } } };
}

const without = (headers: Record<string, string>, name: string) => Object.fromEntries(Object.entries(headers).filter(([k]) => k !== name));

describe('API signature', () => {
  it('accepts a valid request', async () => {
    expect((await accountInfo(validHeaders())).status).toBe(200);
  });

  const refusals: Array<[string, () => Record<string, string>, RegExp]> = [
    ['a wrong signature (other secret)', () => validHeaders({ secret: 'not-the-secret' }), /signature/i],
    ['a missing API key', () => without(validHeaders(), 'X-CUSTOM-API-KEY'), /api key/i],
    ['a wrong API key', () => ({ ...validHeaders(), 'X-CUSTOM-API-KEY': 'other-key' }), /api key/i],
    ['a date 6 minutes old', () => validHeaders({ date: String(Math.floor(Date.now() / 1000) - 360) }), /date/i],
    ['a date 6 minutes ahead', () => validHeaders({ date: String(Math.floor(Date.now() / 1000) + 360) }), /date/i],
    ['a fractional date', () => validHeaders({ date: `${Math.floor(Date.now() / 1000)}.5` }), /date/i],
    ['a date in milliseconds', () => validHeaders({ date: String(Date.now()) }), /date/i],
    ['a missing nonce', () => validHeaders({ nonce: '' }), /nonce/i],
    ['a 33-character nonce', () => validHeaders({ nonce: 'n'.repeat(33) }), /nonce/i],
    ['a missing Referer', () => without(validHeaders(), 'Referer'), /referer/i],
    ['a Referer on another host', () => ({ ...validHeaders(), Referer: 'https://evil.example/' }), /referer/i],
    ['a missing bearer', () => without(validHeaders(), 'Authorization'), /bearer/i],
    ['an unknown bearer', () => ({ ...validHeaders(), Authorization: 'Bearer nope' }), /Session expired or invalid/],
  ];
  it.each(refusals)('refuses %s with 401', async (_name, make, message) => {
    const { status, body } = await accountInfo(make());
    expect(status).toBe(401);
    expect(body.ResponseStatus?.Message).toMatch(message);
  });

  it('refuses a reused nonce', async () => {
    const headers = validHeaders({ nonce: 'reuse-me-once' });
    expect((await accountInfo(headers)).status).toBe(200);
    const again = await accountInfo(headers);
    expect(again.status).toBe(401);
    expect(again.body.ResponseStatus?.Message).toMatch(/nonce/i);
  });

  it('a date within the 5-minute skew passes', async () => {
    expect((await accountInfo(validHeaders({ date: String(Math.floor(Date.now() / 1000) - 240) }))).status).toBe(200);
  });
});

describe('bearer expiry', () => {
  it('refuses a token past its lifetime', async () => {
    let now = Date.now();
    const timed = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, accessTokenLifetimeSeconds: 30, now: () => now });
    try {
      const token = timed.issueTokens().accessToken;
      const call = () => fetch(`${timed.url}/Account/Info`, { headers: { ...validHeaders({ date: String(Math.floor(now / 1000)) }), Authorization: `Bearer ${token}` } });
      expect((await call()).status).toBe(200);
      now += 31_000;
      const expired = await call();
      expect(expired.status).toBe(401);
      expect(await expired.text()).toContain('Session expired or invalid');
    } finally {
      await timed.close();
    }
  });
});

describe('OAuth2 token endpoint', () => {
  const tokenUrl = () => `${sim.oauthUrl}/token`;
  const form = (fields: Record<string, string>) => ({
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(),
  });

  it('refuses a JSON body with 400', async () => {
    const { refreshToken } = sim.issueTokens();
    const response = await fetch(tokenUrl(), {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: API_KEY, client_secret: API_SECRET }),
    });
    expect(response.status).toBe(400);
    expect(sim.oauth.isRefreshTokenValid(refreshToken)).toBe(true);
  });

  it('rotates the refresh token, answers expires_in as a string, and kills the old one', async () => {
    const { refreshToken } = sim.issueTokens();
    const fields = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: API_KEY, client_secret: API_SECRET };
    const first = await fetch(tokenUrl(), form(fields));
    expect(first.status).toBe(200);
    const body = await first.json() as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: '30', scope: 'Basic SmartTag' });
    expect(body.refresh_token).not.toBe(refreshToken);
    const reused = await fetch(tokenUrl(), form(fields));
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('checks the client secret', async () => {
    const { refreshToken } = sim.issueTokens();
    const response = await fetch(tokenUrl(), form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: API_KEY, client_secret: 'wrong' }));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('runs the authorization-code flow with state, and the code works once', async () => {
    const redirectUri = 'http://127.0.0.1:9/callback';
    const authorize = await fetch(`${sim.oauthUrl}/authorize?${new URLSearchParams({ response_type: 'code', client_id: API_KEY, redirect_uri: redirectUri, scope: 'Basic SmartTag', state: 'xyz 1' })}`, { redirect: 'manual' });
    expect(authorize.status).toBe(302);
    const location = new URL(authorize.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz 1');
    const code = location.searchParams.get('code')!;

    const store = memoryTokenStore();
    const tokens = createTokenManager({ oauthBase: sim.oauthUrl, apiKey: API_KEY, apiSecret: API_SECRET, store, fetch, now: Date.now, timeoutMs: 5000 });
    const token = await tokens.exchangeCode(code, redirectUri);
    expect(token.scope).toBe('Basic SmartTag');
    expect(store.token).toEqual(token);
    expect(sim.oauth.isRefreshTokenValid(token.refreshToken!)).toBe(true);
    await expect(tokens.exchangeCode(code, redirectUri)).rejects.toMatchObject({ kind: 'auth' });
  });

  it('refuses a scope it does not know, as written (scopes are case-sensitive), at the authorize step', async () => {
    for (const scope of ['basic smarttag', 'Basic NoSuchScope']) {
      const authorize = await fetch(`${sim.oauthUrl}/authorize?${new URLSearchParams({ response_type: 'code', client_id: API_KEY, redirect_uri: 'http://127.0.0.1:9/callback', scope })}`, { redirect: 'manual' });
      expect(authorize.status).toBe(302);
      const location = new URL(authorize.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_scope');
      expect(location.searchParams.get('code')).toBeNull();
    }
  });
});
