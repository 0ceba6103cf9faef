// The standard grants against a token endpoint the test plays (a fetch that records what
// it was sent and answers as told): what goes on the wire for each grant and each kind of
// client authentication (Signicat's two platforms differ), what is kept from the previous
// token, and how refusals and failures reach the service's own wording with the secrets.
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { clientCredentialsGrant, passwordGrant, refreshTokenGrant } from '../../src/http/oauth-grants.ts';
import type { TokenEndpoint, TokenRefusal } from '../../src/http/token-endpoint.ts';
import { createTokenManager } from '../../src/http/token-manager.ts';

const NOW = 1_700_000_000_000;
const noRecord = { record: async () => undefined, reload: async () => null };

interface Sent {
  url: string;
  headers: Headers;
  form: URLSearchParams;
}

/** A token endpoint answering `status` with `body` to every request, and what it was sent. */
function endpointAnswering(status: number, body: unknown, overrides: Partial<TokenEndpoint> = {}) {
  const sent: Sent[] = [];
  const seen: { refused?: { refusal: TokenRefusal; secrets: string[] }; failed?: number } = {};
  const fakeFetch: typeof fetch = async (input, init) => {
    sent.push({ url: String(input), headers: new Headers(init?.headers), form: new URLSearchParams(String(init?.body)) });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  const endpoint: TokenEndpoint = {
    url: 'https://idp.example/connect/token', clientId: 'client one', clientSecret: 's3cret:+/=', clientAuth: 'form',
    fetch: fakeFetch, timeoutMs: 5_000, now: () => NOW, defaultLifetimeSeconds: 600,
    failures: {
      network: () => new SignrelayError('transient', 'x_unreachable', 'unreachable'),
      refused(operation, refusal, secrets) {
        seen.refused = { refusal, secrets };
        return new SignrelayError('auth', 'x_token_refused', `refused to ${operation}: ${refusal.error ?? '?'}`);
      },
      failed(_operation, answer) {
        seen.failed = answer.status;
        return new SignrelayError('transient', 'x_unavailable', `HTTP ${answer.status}`);
      },
      badAnswer: (_operation, problem) => new SignrelayError('transient', 'x_bad_response', problem),
    },
    ...overrides,
  };
  return { endpoint, sent, seen };
}

const TOKEN = { access_token: 'at-1', token_type: 'Bearer', expires_in: 300, scope: 'signicat-api' };

describe('client credentials', () => {
  it('with HTTP Basic: the form-encoded id and secret in the header, none in the form, and the scope asked for', async () => {
    const { endpoint, sent } = endpointAnswering(200, TOKEN, { clientAuth: 'basic' });
    const token = await clientCredentialsGrant(endpoint, { scope: 'signicat-api' }).obtain(null, noRecord);
    expect(token).toEqual({ accessToken: 'at-1', refreshToken: null, expiresAt: NOW + 300_000, scope: 'signicat-api', seed: null, obtainedAt: NOW });
    expect(sent[0]!.headers.get('authorization')).toBe(`Basic ${Buffer.from('client+one:s3cret%3A%2B%2F%3D').toString('base64')}`);
    expect(sent[0]!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(sent[0]!.form)).toEqual({ grant_type: 'client_credentials', scope: 'signicat-api' });
  });

  it('with form authentication: client_id and client_secret in the form, no header', async () => {
    const { endpoint, sent } = endpointAnswering(200, TOKEN);
    await clientCredentialsGrant(endpoint).obtain(null, noRecord);
    expect(sent[0]!.headers.get('authorization')).toBeNull();
    expect(Object.fromEntries(sent[0]!.form)).toEqual({ grant_type: 'client_credentials', client_id: 'client one', client_secret: 's3cret:+/=' });
  });

  it('is cached by the manager until shortly before expires_in, then asked for again', async () => {
    const clock = { now: NOW };
    const { endpoint, sent } = endpointAnswering(200, TOKEN, { clientAuth: 'basic', now: () => clock.now });
    const tokens = createTokenManager({ strategy: clientCredentialsGrant(endpoint, { scope: 'signicat-api' }), now: () => clock.now });
    expect(await tokens.token()).toEqual({ value: 'at-1', renewAt: NOW + 300_000 - 60_000 });
    clock.now = NOW + 239_999;
    await tokens.accessToken();
    expect(sent).toHaveLength(1);
    clock.now = NOW + 240_000;
    await tokens.accessToken();
    expect(sent).toHaveLength(2);
  });

  it('a refusal (400 or 401, as Duende-style servers differ) is the service\'s error, given the OAuth error and the secrets to mask', async () => {
    for (const status of [400, 401]) {
      const { endpoint, seen } = endpointAnswering(status, { error: 'invalid_client', error_description: 'Client authentication failed' });
      await expect(clientCredentialsGrant(endpoint, { operation: 'obtain a Signicat token' }).obtain(null, noRecord))
        .rejects.toMatchObject({ kind: 'auth', code: 'x_token_refused', message: 'refused to obtain a Signicat token: invalid_client' });
      expect(seen.refused).toMatchObject({ refusal: { status, error: 'invalid_client', description: 'Client authentication failed' }, secrets: ['s3cret:+/='] });
    }
  });

  it('any other status, and a 2xx that is no token, are failures in the service\'s words', async () => {
    const unavailable = endpointAnswering(503, 'busy');
    await expect(clientCredentialsGrant(unavailable.endpoint).obtain(null, noRecord)).rejects.toMatchObject({ code: 'x_unavailable' });
    expect(unavailable.seen.failed).toBe(503);
    const odd = endpointAnswering(200, { token_type: 'Bearer' });
    await expect(clientCredentialsGrant(odd.endpoint).obtain(null, noRecord)).rejects.toMatchObject({ code: 'x_bad_response', message: 'the token response has no access_token' });
  });
});

describe('password and refresh-token grants', () => {
  it('the password grant sends the user\'s name and password, and masks the password too', async () => {
    const { endpoint, sent, seen } = endpointAnswering(401, { error: 'server_error', error_description: 'access_denied' });
    await expect(passwordGrant(endpoint, { username: 'svc', password: 'pw-9' }).obtain(null, noRecord)).rejects.toMatchObject({ kind: 'auth' });
    expect(Object.fromEntries(sent[0]!.form)).toMatchObject({ grant_type: 'password', username: 'svc', password: 'pw-9' });
    expect(seen.refused!.secrets).toEqual(['s3cret:+/=', 'pw-9']);
  });

  it('the refresh-token grant spends the stored refresh token before the configured one, and keeps it when none comes back', async () => {
    const { endpoint, sent } = endpointAnswering(200, { access_token: 'at-2', expires_in: '60' });
    const stored = { accessToken: 'at-1', refreshToken: 'rt-stored', expiresAt: NOW, scope: 'mail', seed: 'chain' };
    const token = await refreshTokenGrant(endpoint, { configured: 'rt-configured' }).obtain(stored, noRecord);
    expect(sent[0]!.form.get('refresh_token')).toBe('rt-stored');
    expect(token).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-stored', expiresAt: NOW + 60_000, scope: 'mail', seed: 'chain' });

    await refreshTokenGrant(endpoint, { configured: 'rt-configured' }).obtain(null, noRecord);
    expect(sent[1]!.form.get('refresh_token')).toBe('rt-configured');
  });
});
