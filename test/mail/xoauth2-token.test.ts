// The XOAUTH2 token source against the mail-oauth simulator's token endpoints over HTTP:
// what it asks for (the simulator refuses anything else), when it renews (a clock of its
// own: min(60 s, a quarter of the lifetime) before expiry), one request at a time, the
// database row surviving a restart, Google's rotated refresh token saved, and each kind of
// refusal or failure turned into a message that names the setting — never a secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailOauth2Config } from '../../src/config/schema.ts';
import { createMailTokenSource, memoryTokenStore, type MailTokenStore } from '../../src/mail/mail-oauth-token.ts';
import { startMailOAuthSimulator, type MailOAuthSimulator } from '../../src/sandbox/mail-oauth/server.ts';

const TENANT = '9a8b7c6d-0000-4000-8000-00000000c0de';
const SECRET = 'ms-secret-do-not-log-44e1';
const G_SECRET = 'g-secret-do-not-log-1f0b';

let sim: MailOAuthSimulator;

beforeAll(async () => {
  sim = await startMailOAuthSimulator({
    microsoft: { tenant: TENANT, apps: [{ clientId: 'app', clientSecret: SECRET, roles: ['IMAP.AccessAsApp', 'SMTP.SendAsApp'], mailboxes: ['sign'] }] },
    google: { clients: { gclient: G_SECRET }, rotateRefreshTokens: true },
    accessTokenLifetimeSeconds: 100,
  });
});
afterAll(async () => sim?.close());

function microsoft(overrides: Partial<MailOauth2Config> = {}): MailOauth2Config {
  return { type: 'oauth2', provider: 'microsoft', tenant: TENANT, client_id: 'app', client_secret: SECRET, token_url: sim.microsoftTokenUrl(TENANT), ...overrides };
}

function google(refreshToken: string, overrides: Partial<MailOauth2Config> = {}): MailOauth2Config {
  return { type: 'oauth2', provider: 'google', client_id: 'gclient', client_secret: G_SECRET, refresh_token: refreshToken, token_url: sim.googleTokenUrl, ...overrides };
}

/** A source on a clock the test moves. */
function source(auth: MailOauth2Config, options: { store?: MailTokenStore; clock?: { now: number }; settings?: string[] } = {}) {
  const clock = options.clock ?? { now: Date.now() };
  const src = createMailTokenSource({
    auth, settings: options.settings ?? ['mailboxes.requests.auth'], name: 'mail:requests', store: options.store ?? memoryTokenStore(), now: () => clock.now,
  });
  return { src, clock };
}

const issuedSince = (count: number) => sim.provider.grants.slice(count).filter((g) => g.outcome === 'issued').length;

async function failure(promise: Promise<unknown>): Promise<Error & { kind: string; code: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { kind: string; code: string };
  }
  throw new Error('expected a failure');
}

describe('the XOAUTH2 token source', () => {
  it('gets an app-only token with the Exchange Online scope and renews it min(60 s, lifetime/4) before expiry', async () => {
    const before = sim.provider.grants.length;
    const { src, clock } = source(microsoft());
    const start = clock.now;
    const first = await src.accessToken();
    // 100 s lifetime: renewal a quarter (25 s) early, not the full 60 s.
    expect(first.renewAt).toBe(start + 75_000);
    expect(sim.provider.refusal('imap', 'sign', first.value)).toBeNull();

    clock.now = start + 74_999;
    expect((await src.accessToken()).value).toBe(first.value);
    expect(issuedSince(before)).toBe(1);
    clock.now = start + 75_000;
    const second = await src.accessToken();
    expect(second.value).not.toBe(first.value);
    expect(issuedSince(before)).toBe(2);

    // An hour-long token: renewed 60 s early.
    sim.provider.lifetimeSeconds = 3599;
    try {
      clock.now += 100_000;
      const long = await src.accessToken();
      expect(long.renewAt).toBe(clock.now + 3_599_000 - 60_000);
    } finally {
      sim.provider.lifetimeSeconds = 100;
    }
  });

  it('asks the token endpoint once for many concurrent callers', async () => {
    const before = sim.provider.grants.length;
    const { src } = source(microsoft());
    const tokens = await Promise.all(Array.from({ length: 8 }, () => src.accessToken()));
    expect(new Set(tokens.map((t) => t.value)).size).toBe(1);
    expect(issuedSince(before)).toBe(1);
  });

  it('replaces a token a mail server refused, once for all callers that saw it refused', async () => {
    const before = sim.provider.grants.length;
    const { src } = source(microsoft());
    const refused = (await src.accessToken()).value;
    const replaced = await Promise.all([src.accessToken({ rejected: refused }), src.accessToken({ rejected: refused }), src.accessToken()]);
    expect(replaced.map((t) => t.value).every((v) => v !== refused && v === replaced[0]!.value)).toBe(true);
    expect(issuedSince(before)).toBe(2);
  });

  it('keeps the token in its store across a restart, and starts anew when the credentials change', async () => {
    const before = sim.provider.grants.length;
    const store = memoryTokenStore();
    const clock = { now: Date.now() };
    const first = await source(microsoft(), { store, clock }).src.accessToken();
    expect(store.load('mail:requests')).toMatchObject({ accessToken: first.value, obtainedAt: clock.now });

    const afterRestart = await source(microsoft(), { store, clock }).src.accessToken();
    expect(afterRestart.value).toBe(first.value);
    expect(issuedSince(before)).toBe(1);

    const otherTenantName = await source(microsoft({ tenant: TENANT.toUpperCase() }), { store, clock }).src.accessToken();
    expect(otherTenantName.value).not.toBe(first.value);
    expect(issuedSince(before)).toBe(2);
  });

  it('saves the refresh token Google rotates to, uses it after a restart, and lets a newly configured one replace the chain', async () => {
    const configured = sim.provider.issueGoogleRefreshToken('gclient', 'user@gmail.example');
    const store = memoryTokenStore();
    const clock = { now: Date.now() };
    await source(google(configured), { store, clock }).src.accessToken();
    const rotated = store.load('mail:requests')!.refreshToken!;
    expect(rotated).not.toBe(configured);
    expect(sim.provider.isRefreshTokenLive(configured)).toBe(false);

    // After a restart, once the access token is due, the saved (rotated) refresh token is spent — the configured one is dead.
    clock.now += 100_000;
    const renewed = await source(google(configured), { store, clock }).src.accessToken();
    expect(sim.provider.refusal('imap', 'user@gmail.example', renewed.value)).toBeNull();
    expect(sim.provider.isRefreshTokenLive(rotated)).toBe(false);

    // The operator's fix for a dead chain: a new refresh_token in the configuration wins over the stored one.
    const fresh = sim.provider.issueGoogleRefreshToken('gclient', 'user@gmail.example');
    const fromNew = await source(google(fresh), { store, clock }).src.accessToken();
    expect(fromNew.value).not.toBe(renewed.value);
    expect(sim.provider.isRefreshTokenLive(fresh)).toBe(false);
  });

  it('turns each refusal into an operator error that names the setting to fix, without the secret', async () => {
    const cases: Array<[MailOauth2Config, RegExp, string]> = [
      [microsoft({ client_secret: 'wrong-ms-secret-0c1d' }), /mailboxes\.requests\.auth\.client_secret: it is wrong or has expired/, 'wrong-ms-secret-0c1d'],
      [microsoft({ tenant: 'no-such-tenant', token_url: sim.microsoftTokenUrl('no-such-tenant') }), /check mailboxes\.requests\.auth\.tenant/, SECRET],
      [microsoft({ client_id: 'no-such-app' }), /check mailboxes\.requests\.auth\.client_id and mailboxes\.requests\.auth\.tenant/, SECRET],
      [microsoft({ scope: 'https://graph.microsoft.com/Mail.Read' }), /check mailboxes\.requests\.auth\.scope/, SECRET],
      [google('1//not-a-live-token-7e'), /refresh token in mailboxes\.requests\.auth\.refresh_token .* is expired or revoked/, '1//not-a-live-token-7e'],
      [google(sim.provider.issueGoogleRefreshToken('someone-else', 'x')), /issued to another OAuth client/, G_SECRET],
      [google('1//whatever', { client_secret: 'wrong-g-secret-88' }), /check mailboxes\.requests\.auth\.client_id and mailboxes\.requests\.auth\.client_secret/, 'wrong-g-secret-88'],
    ];
    for (const [auth, fix, secret] of cases) {
      const error = await failure(source(auth).src.accessToken());
      expect(error).toMatchObject({ kind: 'auth', code: 'mail_oauth_refused' });
      expect(error.message).toMatch(fix);
      expect(error.message).toMatch(/tries again with backoff/);
      expect(error.message).not.toContain(secret);
      expect(error.message).not.toContain(SECRET);
    }
  });

  it('names the other settings that hold the same credentials', async () => {
    const error = await failure(source(microsoft({ client_secret: 'wrong-ms-secret-0c1d' }), { settings: ['mailboxes.requests.auth', 'smtp.auth'] }).src.accessToken());
    expect(error.message).toContain('(the same credentials are also in smtp.auth)');
  });

  it('tells a passing outage from a wrong endpoint', async () => {
    sim.failNext(`/${TENANT}/`, { status: 503 });
    expect(await failure(source(microsoft()).src.accessToken())).toMatchObject({ kind: 'transient', code: 'mail_oauth_unavailable' });

    const notFound = await failure(source(microsoft({ token_url: `${sim.url}/wrong/path` })).src.accessToken());
    expect(notFound).toMatchObject({ kind: 'config', code: 'mail_oauth_endpoint' });
    expect(notFound.message).toContain('check mailboxes.requests.auth.token_url');

    const closed = await failure(source(microsoft({ token_url: 'http://127.0.0.1:1/token' })).src.accessToken());
    expect(closed).toMatchObject({ kind: 'transient', code: 'mail_oauth_unreachable' });
    expect(closed.message).toContain('mailboxes.requests.auth.token_url');

    sim.failNext(`/${TENANT}/`, { kind: 'malformed' });
    expect(await failure(source(microsoft()).src.accessToken())).toMatchObject({ kind: 'transient', code: 'mail_oauth_bad_response' });
  });
});
