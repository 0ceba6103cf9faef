// The shared OAuth2 token manager on its own, with a strategy the test controls and a
// clock it moves: one request for many callers, renewal min(60 s, lifetime/4) before
// expiry, a token another writer saved is used, a refused token replaced once, nothing
// used before it is saved, and a refusal reaching every caller as the strategy's error.
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { createTokenManager, type StrategyIo, type TokenStore, type TokenStrategy } from '../../src/http/token-manager.ts';
import type { StoredToken } from '../../src/store/oauth-tokens.ts';

const START = 1_700_000_000_000;
const HOUR_S = 3600;

/** A promise the test settles, and one that settles when the code under test reaches it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function memoryStore(initial: StoredToken | null = null): TokenStore & { row: StoredToken | null; saves: StoredToken[] } {
  const store = {
    row: initial,
    saves: [] as StoredToken[],
    load: () => store.row,
    save: (token: StoredToken) => {
      store.row = token;
      store.saves.push(token);
    },
  };
  return store;
}

/** A strategy whose answers the test sees asked for, and hands out (a token per call, or gated). */
function scriptedStrategy(clock: { now: number }, lifetimeSeconds = HOUR_S) {
  const calls: Array<{ stored: StoredToken | null; io: StrategyIo }> = [];
  let issued = 0;
  let gate: Promise<void> | null = null;
  let failure: Error | null = null;
  const asked = { next: deferred() };
  const strategy: TokenStrategy = {
    async obtain(stored, io) {
      calls.push({ stored, io });
      asked.next.resolve();
      if (gate) await gate;
      if (failure) throw failure;
      issued += 1;
      return { accessToken: `access-${issued}`, refreshToken: `refresh-${issued}`, expiresAt: clock.now + lifetimeSeconds * 1000, obtainedAt: clock.now };
    },
  };
  return {
    strategy,
    calls,
    /** Holds every answer until the returned function is called. */
    hold() {
      const open = deferred();
      gate = open.promise;
      asked.next = deferred();
      return { asked: asked.next.promise, release: () => open.resolve() };
    },
    failWith(err: Error | null) {
      failure = err;
    },
  };
}

function setup(options: { lifetimeSeconds?: number; store?: ReturnType<typeof memoryStore> } = {}) {
  const clock = { now: START };
  const script = scriptedStrategy(clock, options.lifetimeSeconds);
  const store = options.store ?? memoryStore();
  const tokens = createTokenManager({ strategy: script.strategy, store, now: () => clock.now });
  return { clock, script, store, tokens };
}

describe('the token manager', () => {
  it('asks once for many concurrent callers, and all of them get that token', async () => {
    const { script, tokens } = setup();
    const held = script.hold();
    const callers = Array.from({ length: 6 }, () => tokens.accessToken());
    await held.asked;
    held.release();
    expect(new Set(await Promise.all(callers))).toEqual(new Set(['access-1']));
    expect(script.calls).toHaveLength(1);
  });

  it('renews an hour-long token 60 s before it expires, and a 40 s one in its last quarter', async () => {
    const long = setup();
    expect(await long.tokens.token()).toEqual({ value: 'access-1', renewAt: START + HOUR_S * 1000 - 60_000 });
    long.clock.now = START + HOUR_S * 1000 - 60_001;
    expect(await long.tokens.accessToken()).toBe('access-1');
    long.clock.now += 1;
    expect(await long.tokens.accessToken()).toBe('access-2');

    const short = setup({ lifetimeSeconds: 40 });
    expect(await short.tokens.token()).toEqual({ value: 'access-1', renewAt: START + 30_000 });
    short.clock.now = START + 29_999;
    expect(await short.tokens.accessToken()).toBe('access-1');
    short.clock.now = START + 30_000;
    expect(await short.tokens.accessToken()).toBe('access-2');
    expect(short.script.calls).toHaveLength(2);
  });

  it('reads the store again before asking: a token another writer saved meanwhile is used', async () => {
    const { clock, script, store, tokens } = setup();
    expect(await tokens.accessToken()).toBe('access-1');
    clock.now = START + HOUR_S * 1000; // ours is due
    store.row = { accessToken: 'saved-elsewhere', refreshToken: 'r', expiresAt: clock.now + HOUR_S * 1000, obtainedAt: clock.now };
    expect(await tokens.accessToken()).toBe('saved-elsewhere');
    expect(script.calls).toHaveLength(1);
  });

  it('hands the strategy the stored row, so a grant can spend its refresh token', async () => {
    const stored: StoredToken = { accessToken: 'old', refreshToken: 'refresh-old', expiresAt: START - 1, obtainedAt: START - HOUR_S * 1000 };
    const { script, tokens } = setup({ store: memoryStore(stored) });
    await tokens.accessToken();
    expect(script.calls[0]!.stored).toEqual(stored);
  });

  it('replaces a refused token once for every caller that saw it refused, and never hands it out again', async () => {
    const { script, tokens } = setup();
    const refused = await tokens.accessToken();
    const held = script.hold();
    const replacing = [tokens.replaceRejected(refused), tokens.replaceRejected(refused)];
    await held.asked;
    // Asked while the replacement is under way: not the refused one, but the replacement.
    const plain = tokens.accessToken();
    held.release();
    expect(await Promise.all([...replacing, plain])).toEqual(['access-2', 'access-2', 'access-2']);
    // A caller late with the same refusal gets the newer token without another request.
    expect(await tokens.replaceRejected(refused)).toBe('access-2');
    expect(script.calls).toHaveLength(2);
  });

  it('does not take the refused token back from the store', async () => {
    const { script, store, tokens } = setup();
    const refused = await tokens.accessToken();
    expect(store.row!.accessToken).toBe(refused);
    expect(await tokens.replaceRejected(refused)).toBe('access-2');
    expect(script.calls).toHaveLength(2);
  });

  it('does not count the refused token, handed back again, as its replacement', async () => {
    const clock = { now: START };
    let answer = 0;
    const answers = ['same', 'same', 'fresh'];
    const tokens = createTokenManager({
      now: () => clock.now,
      strategy: { obtain: async () => ({ accessToken: answers[answer++]!, refreshToken: null, expiresAt: clock.now + HOUR_S * 1000, obtainedAt: clock.now }) },
    });
    expect(await tokens.accessToken()).toBe('same');
    // The service handed the refused token back: that is no replacement, and says so.
    await expect(tokens.replaceRejected('same')).rejects.toMatchObject({ kind: 'transient', code: 'oauth_token_unusable' });
    expect(await tokens.replaceRejected('same')).toBe('fresh');
  });

  it('saves a new token before anyone gets it, and uses none the store failed to save', async () => {
    const { store, tokens } = setup();
    const seen = await tokens.accessToken();
    expect(store.row?.accessToken).toBe(seen);

    const clock = { now: START };
    const script = scriptedStrategy(clock);
    const diskFull = new SignrelayError('transient', 'storage_full', 'the disk is full');
    let failSaves = true;
    const failing = memoryStore();
    const broken = createTokenManager({
      strategy: script.strategy, now: () => clock.now,
      store: { load: failing.load, save: (token) => (failSaves ? Promise.reject(diskFull) : failing.save(token)) },
    });
    await expect(broken.accessToken()).rejects.toBe(diskFull);
    failSaves = false;
    // The unsaved access-1 was dropped: the next caller gets a new one, saved.
    expect(await broken.accessToken()).toBe('access-2');
    expect(failing.saves.map((t) => t.accessToken)).toEqual(['access-2']);
  });

  it('lets a strategy record a row before its request (an intent), then saves the token over it', async () => {
    const clock = { now: START };
    const store = memoryStore();
    const rowsSeenByTheCall: Array<StoredToken | null> = [];
    const tokens = createTokenManager({
      now: () => clock.now, store,
      strategy: {
        async obtain(stored, { record }) {
          await record({ ...(stored ?? { accessToken: null, refreshToken: null, expiresAt: null }), refreshIntent: 'hash-of-spent', refreshIntentAt: clock.now });
          rowsSeenByTheCall.push(store.row);
          return { accessToken: 'a', refreshToken: 'r', expiresAt: clock.now + HOUR_S * 1000, obtainedAt: clock.now };
        },
      },
    });
    await tokens.accessToken();
    expect(rowsSeenByTheCall).toEqual([expect.objectContaining({ refreshIntent: 'hash-of-spent' })]);
    expect(store.saves).toHaveLength(2);
    expect(store.row).toEqual({ accessToken: 'a', refreshToken: 'r', expiresAt: START + HOUR_S * 1000, obtainedAt: START });
  });

  it('gives every waiting caller the strategy\'s own refusal, and asks again on the next call', async () => {
    const { script, tokens } = setup();
    const refusal = new SignrelayError('auth', 'provider_token_refused', 'Secured Signing refused to refresh the OAuth2 access token: run `signrelay authorize`');
    script.failWith(refusal);
    const held = script.hold();
    const callers = [tokens.accessToken(), tokens.accessToken(), tokens.token()];
    await held.asked;
    held.release();
    const outcomes = await Promise.allSettled(callers);
    expect(outcomes).toEqual(Array(3).fill({ status: 'rejected', reason: refusal }));
    expect(script.calls).toHaveLength(1);

    script.failWith(null);
    expect(await tokens.accessToken()).toBe('access-1');
    expect(script.calls).toHaveLength(2);
  });

  it('runs a one-off strategy (a code exchange) after the request under way, saves its token and uses it', async () => {
    const { script, store, tokens } = setup();
    const held = script.hold();
    const refreshing = tokens.accessToken();
    await held.asked;
    const exchange = deferred<StoredToken>();
    const exchanged = tokens.obtainWith({ obtain: () => exchange.promise });
    held.release();
    expect(await refreshing).toBe('access-1');
    exchange.resolve({ accessToken: 'from-code', refreshToken: 'first', expiresAt: START + HOUR_S * 1000, obtainedAt: START });
    expect(await exchanged).toMatchObject({ accessToken: 'from-code' });
    expect(store.row).toMatchObject({ accessToken: 'from-code', refreshToken: 'first' });
    expect(await tokens.accessToken()).toBe('from-code');
    expect(script.calls).toHaveLength(1);
  });

  it('keeps the token in memory when given no store', async () => {
    const clock = { now: START };
    const script = scriptedStrategy(clock);
    const tokens = createTokenManager({ strategy: script.strategy, now: () => clock.now });
    expect(await tokens.accessToken()).toBe('access-1');
    expect(await tokens.accessToken()).toBe('access-1');
    expect(script.calls).toHaveLength(1);
  });
});
