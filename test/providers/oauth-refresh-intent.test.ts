// Secured Signing's rotating refresh tokens and crashes: a refresh is due only within
// min(60 s, a quarter of the lifetime) of expiry; the hash of the refresh token being spent
// is recorded before the call and cleared with the new token; and when the answer of a
// refresh was lost (here: the connection drops after the simulator rotated the token, as a
// SIGKILL would), the refusal that follows is named precisely, once, to the operator.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignrelayError } from '../../src/errors.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import type { LockoutNotice } from '../../src/providers/secured-signing/oauth.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { refreshDueAt } from '../../src/store/oauth-tokens.ts';
import { API_KEY, API_SECRET, REFERER, manualClock, memoryTokenStore, providerConfig, type MemoryTokenStore } from '../sandbox/fixtures.ts';

let sim: SecuredSigningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: SignrelayError) => err);
const tokenCalls = (s: SecuredSigningSimulator) => s.calls.filter((c) => c.path.endsWith('/token'));

/** A store that also collects the lock-out notices the daemon would turn into alerts. */
function alertingStore(): MemoryTokenStore & { notices: LockoutNotice[] } {
  const notices: LockoutNotice[] = [];
  return Object.assign(memoryTokenStore(), { notices, lockedOut: (n: LockoutNotice) => notices.push(n) });
}

async function setup(accessTokenLifetimeSeconds = 3600) {
  const clock = manualClock();
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: clock.now, accessTokenLifetimeSeconds });
  const initial = sim.issueTokens();
  const store = alertingStore();
  /** When set, the next token answer is read by the server's side and then lost on ours. */
  const lose = { next: false };
  const fetchLosingAnswers: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (lose.next && String(input).endsWith('/token')) {
      lose.next = false;
      await response.arrayBuffer();
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    }
    return response;
  };
  const start = () => createSecuredSigningClient({
    config: providerConfig(sim!, { refresh_token: initial.refreshToken }), tokenStore: store, now: clock.now, fetch: fetchLosingAnswers,
  });
  return { sim, store, clock, initial, lose, start };
}

describe('early refresh', () => {
  it.each([
    ['an hour-long token: 60 s before expiry', { obtainedAt: 0, expiresAt: 3_600_000 }, 3_540_000],
    ['a 40 s token: a quarter of its lifetime before', { obtainedAt: 0, expiresAt: 40_000 }, 30_000],
    ['a row saved before obtained_at existed: the full 60 s', { obtainedAt: null, expiresAt: 3_600_000 }, 3_540_000],
    ['no stated expiry: never usable', { obtainedAt: 0, expiresAt: null }, null],
  ])('%s', (_name, token, due) => {
    expect(refreshDueAt(token)).toBe(due);
  });

  it('a 40 s token is refreshed in its last 10 s (a quarter of its lifetime), not on every call', async () => {
    const { sim, clock, start } = await setup(40);
    const client = start();
    await client.accountInfo();
    clock.advance(29_000); // 11 s left
    await client.accountInfo();
    await client.accountInfo();
    expect(tokenCalls(sim)).toHaveLength(1);
    clock.advance(2_000); // 9 s left
    await client.accountInfo();
    expect(tokenCalls(sim)).toHaveLength(2);
  });
});

describe('the refresh intent', () => {
  it('is recorded as the hash of the token being spent before the call, and cleared with the new token', async () => {
    const { store, clock, initial, start } = await setup();
    await start().accountInfo();
    expect(store.saves).toHaveLength(2);
    expect(store.saves[0]).toMatchObject({ accessToken: null, refreshIntent: sha256(initial.refreshToken), refreshIntentAt: clock.now() });
    expect(JSON.stringify(store.saves[0])).not.toContain(initial.refreshToken);
    expect(store.saves[1]).toMatchObject({ accessToken: expect.any(String), obtainedAt: clock.now(), seed: sha256(initial.refreshToken) });
    expect(store.saves[1]!.refreshIntent ?? null).toBeNull();
  });

  it('left by a death before the provider saw the call, does not stop the next refresh', async () => {
    const { store, initial, start } = await setup();
    store.token = { accessToken: null, refreshToken: null, expiresAt: null, refreshIntent: sha256(initial.refreshToken), refreshIntentAt: 1 };
    await start().accountInfo();
    expect(store.token).toMatchObject({ accessToken: expect.any(String) });
    expect(store.token!.refreshIntent ?? null).toBeNull();
    expect(store.notices).toEqual([]);
  });
});

describe('a refresh whose answer was lost', () => {
  it('makes the refusal that follows say what happened and what to do, and tells the operator once', async () => {
    const { sim, store, clock, initial, lose, start } = await setup();
    const sentAt = clock.now();
    lose.next = true;
    const first = await caught(start().accountInfo());
    expect(first).toMatchObject({ kind: 'transient' });
    // The simulator rotated the token: the configured one is dead, the new one never reached us.
    expect(sim.oauth.isRefreshTokenValid(initial.refreshToken)).toBe(false);
    expect(store.token).toMatchObject({ refreshIntent: sha256(initial.refreshToken), refreshIntentAt: sentAt });

    clock.advance(5_000);
    const restarted = start(); // a new process: the same store, the same configuration
    const err = await caught(restarted.accountInfo());
    expect(err).toMatchObject({ kind: 'auth', code: 'provider_refresh_lost' });
    expect(err.message).toContain(`sha256 ${sha256(initial.refreshToken).slice(0, 12)}`);
    expect(err.message).toContain(new Date(sentAt).toISOString());
    expect(err.message).toContain('or a backup of signrelay.db from before that refresh was restored');
    expect(err.message).toMatch(/never saved.*run `signrelay authorize` \(or put a new refresh token in provider\.refresh_token and `systemctl restart signrelay`\)/);
    expect(err.message).not.toContain(initial.refreshToken);
    expect(store.notices).toHaveLength(1);
    expect(store.notices[0]!.text).toContain(err.message);
    expect(store.notices[0]!.text).toMatch(/waits \(nothing is failed or lost\)/);

    // Retried later (the job runner's slow auth retry): still precise, no second alert.
    const again = await caught(restarted.accountInfo());
    expect(again).toMatchObject({ code: 'provider_refresh_lost' });
    expect(store.notices).toHaveLength(1);
    expect(tokenCalls(sim).map((c) => c.status)).toEqual([200, 400, 400]);
  });

  it('is not blamed for a refresh token refused without one (revoked, never issued)', async () => {
    const { store, clock, initial, start } = await setup();
    // The stored chain started from the configured token, so its (unknown to the simulator) rotated token is used.
    store.token = { accessToken: null, refreshToken: 'revoked-elsewhere', expiresAt: null, seed: sha256(initial.refreshToken) };
    const err = await caught(start().accountInfo());
    expect(err).toMatchObject({ kind: 'auth', code: 'provider_token_refused' });
    expect(err.message).toContain('run `signrelay authorize`');
    // Restore review L2: a restored database holds a token spent since; the text says so.
    expect(err.message).toContain('or a backup of signrelay.db was restored: the token it holds was spent since');
    expect(store.notices).toHaveLength(1);
    expect(store.notices[0]!.text).not.toMatch(/never saved/);
    // A refusal spent nothing: no intent is left behind to be mistaken for a lost answer later.
    expect(store.token!.refreshIntent ?? null).toBeNull();
    clock.advance(1_000);
    expect(await caught(start().accountInfo())).toMatchObject({ code: 'provider_token_refused' });
  });
});
