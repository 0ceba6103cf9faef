// The simulator's token endpoints and the bearer check in front of every API call: both
// client-authentication styles at both paths, the OAuth errors, token expiry on the
// simulator's clock, revocation, and a token without the Sign API's scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, CLIENT_SECRET, startWorld, type SimWorld } from './signicat-fixtures.ts';

let world: SimWorld;
beforeAll(async () => {
  world = await startWorld({
    clients: {
      [CLIENT_ID]: { secret: CLIENT_SECRET },
      'old-platform': { secret: 'old:secret&+', scopes: ['client.signature'] },
      'login-only': { secret: 'x', scopes: ['openid'] },
    },
  });
});
afterAll(() => world.sim.close());

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function tokenCall(url: string, fields: Record<string, string>, authorization?: string, contentType = 'application/x-www-form-urlencoded') {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': contentType, ...(authorization ? { Authorization: authorization } : {}) },
    body: contentType === 'application/json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
  });
  return { status: response.status, headers: response.headers, body: await response.json() as Record<string, unknown> };
}

describe('token endpoint', () => {
  it('takes client_id and client_secret in the form (new platform) and the token opens the API', async () => {
    const { status, body, headers } = await tokenCall(world.sim.tokenUrl, { grant_type: 'client_credentials', scope: 'signicat-api', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'signicat-api' });
    expect(headers.get('cache-control')).toBe('no-store');
    const api = await world.call('GET', '/orders/nope', { token: body.access_token as string });
    expect(api.status).toBe(404);
  });

  it('takes HTTP Basic (old platform, url-encoded parts) with its scope', async () => {
    const { status, body } = await tokenCall(world.sim.legacyTokenUrl, { grant_type: 'client_credentials', scope: 'client.signature' }, basic('old-platform', 'old:secret&+'));
    expect(status).toBe(200);
    expect(body.scope).toBe('client.signature');
    expect((await world.call('GET', '/orders/nope', { token: body.access_token as string, base: world.sim.legacyUrl })).status).toBe(404);
  });

  it('gives all of a client\'s scopes when none is asked for', async () => {
    const { body } = await tokenCall(world.sim.tokenUrl, { grant_type: 'client_credentials' }, basic(CLIENT_ID, CLIENT_SECRET));
    expect(body.scope).toBe('signicat-api');
  });

  const refusals: Array<[string, () => ReturnType<typeof tokenCall>, number, string]> = [
    ['a wrong secret in the form', () => tokenCall(world.sim.tokenUrl, { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: 'wrong' }), 401, 'invalid_client'],
    ['a wrong secret by Basic', () => tokenCall(world.sim.legacyTokenUrl, { grant_type: 'client_credentials' }, basic(CLIENT_ID, 'wrong')), 401, 'invalid_client'],
    ['an unknown client', () => tokenCall(world.sim.tokenUrl, { grant_type: 'client_credentials', client_id: 'who', client_secret: 'x' }), 401, 'invalid_client'],
    ['no client authentication', () => tokenCall(world.sim.tokenUrl, { grant_type: 'client_credentials' }), 401, 'invalid_client'],
    ['a form client_id other than the Basic one', () => tokenCall(world.sim.tokenUrl, { grant_type: 'client_credentials', client_id: 'other' }, basic(CLIENT_ID, CLIENT_SECRET)), 400, 'invalid_request'],
    ['another grant type', () => tokenCall(world.sim.tokenUrl, { grant_type: 'password', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }), 400, 'unsupported_grant_type'],
    ['no grant type', () => tokenCall(world.sim.tokenUrl, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET }), 400, 'invalid_request'],
    ['a scope the client may not have', () => tokenCall(world.sim.tokenUrl, { grant_type: 'client_credentials', scope: 'signicat-api admin', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }), 400, 'invalid_scope'],
    ['a JSON body', () => tokenCall(world.sim.tokenUrl, { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }, undefined, 'application/json'), 400, 'invalid_request'],
  ];
  it.each(refusals)('refuses %s', async (_name, make, status, error) => {
    const answer = await make();
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ error, error_description: expect.any(String) });
    expect(answer.body.access_token).toBeUndefined();
  });

  it('asks a failed Basic login to authenticate (WWW-Authenticate)', async () => {
    const { headers } = await tokenCall(world.sim.tokenUrl, { grant_type: 'client_credentials' }, basic(CLIENT_ID, 'wrong'));
    expect(headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('records the token calls', () => {
    expect(world.sim.calls.filter((c) => c.path === '/oidc/token').every((c) => c.method === 'POST' && c.status > 0)).toBe(true);
  });
});

describe('bearer check', () => {
  it('refuses a call without a token: 401, WWW-Authenticate Bearer, a problem body', async () => {
    const answer = await world.call('GET', '/orders/x', { token: null });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status: 401, title: 'Unauthorized', detail: expect.any(String), traceId: expect.any(String) });
  });

  it('refuses an unknown token', async () => {
    const answer = await world.call('POST', '/documents', { token: 'not-a-token', bytes: new Uint8Array([1]) });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/invalid_token/);
    expect(world.sim.documents.size).toBe(0);
  });

  it('refuses a token without the Sign API scope with 403', async () => {
    const answer = await world.call('GET', '/orders/x', { token: world.sim.issueToken('login-only', ['openid']) });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ status: 403, title: 'Forbidden' });
  });

  it('refuses a token past its lifetime, on the simulator\'s clock', async () => {
    const token = world.sim.issueToken(CLIENT_ID);
    world.clock.advance(599_000);
    expect((await world.call('GET', '/orders/x', { token })).status).toBe(404);
    world.clock.advance(1_000);
    const expired = await world.call('GET', '/orders/x', { token });
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toMatch(/expired/);
  });

  it('refuses every token after revokeTokens()', async () => {
    const token = world.sim.issueToken(CLIENT_ID);
    world.sim.revokeTokens();
    expect((await world.call('GET', '/orders/x', { token })).status).toBe(401);
  });
});
