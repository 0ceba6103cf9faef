// Two processes on one data dir and Secured Signing's rotating refresh token: the daemon
// refreshing while `signrelay check` (which uses the daemon's token store on purpose) or
// `signrelay authorize` saves a new chain. "One refresh at a time" holds within a process
// only; across processes the one refused must use what the other saved, never write the
// row it had read back over it (that left a spent refresh token stored: locked out, and
// every restart too). Two SQLite connections to one data dir stand for the two processes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { createProvider } from '../../src/providers/create-provider.ts';
import { securedSigningTokenName } from '../../src/providers/secured-signing/token-row.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { loadToken, saveToken } from '../../src/store/oauth-tokens.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { API_KEY, API_SECRET, REFERER, manualClock, providerConfig } from '../sandbox/fixtures.ts';
import { waitFor } from '../support/wait-for.ts';

let sim: SecuredSigningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const NAME = securedSigningTokenName(API_KEY);

/** A fetch whose token requests wait at `release` once `hold` is set; `held` says one is waiting. */
function holdingFetch() {
  let release = () => {};
  const gate = { hold: false, held: false, release: () => release() };
  const opened = new Promise<void>((resolve) => (release = resolve));
  const heldFetch: typeof fetch = async (input, init) => {
    if (gate.hold && String(input).endsWith('/token')) {
      gate.held = true;
      await opened;
    }
    return fetch(input, init);
  };
  return { gate, heldFetch };
}

it('a refresh refused because `signrelay check` spent the token meanwhile uses the token check saved, and leaves it stored', async () => {
  const clock = manualClock();
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: clock.now, accessTokenLifetimeSeconds: 3600 });
  const config = providerConfig(sim, { refresh_token: sim.issueTokens().refreshToken });
  const dataDir = mkdtempSync(join(tmpdir(), 'two-processes-'));
  const daemonDb = openDatabase(dataDir);
  const { gate, heldFetch } = holdingFetch();
  const lockouts: string[] = [];
  const daemon = createProvider(config, { db: daemonDb, logger: silentLogger(), fetch: heldFetch, now: clock.now, lockedOut: (n) => lockouts.push(n.subject) });
  await daemon.accountInfo();
  const first = loadToken(daemonDb, NAME)!;

  clock.advance(3600_000); // the access token is due again
  gate.hold = true;
  const daemonCall = daemon.accountInfo();
  await waitFor(() => gate.held, { what: "the daemon's refresh on its way" });
  const check = createProvider(config, { db: openDatabase(dataDir), logger: silentLogger(), now: clock.now });
  await check.accountInfo(); // spends the stored refresh token, saves its successor
  const saved = loadToken(daemonDb, NAME)!;
  expect(saved.refreshToken).not.toBe(first.refreshToken);

  gate.release();
  await expect(daemonCall).resolves.toBeTruthy();
  expect(lockouts).toEqual([]);
  expect(loadToken(daemonDb, NAME)).toMatchObject({ refreshToken: saved.refreshToken, accessToken: saved.accessToken });
  // A daemon started now carries on with the chain.
  clock.advance(3600_000);
  const restarted = createProvider(config, { db: openDatabase(dataDir), logger: silentLogger(), now: clock.now });
  await expect(restarted.accountInfo()).resolves.toBeTruthy();
});

it('`signrelay authorize` storing a new chain while a locked-out daemon refreshes is not undone by that refusal', async () => {
  const clock = manualClock();
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: clock.now, accessTokenLifetimeSeconds: 3600 });
  const config = providerConfig(sim); // no provider.refresh_token: the chain lives in the database
  const dataDir = mkdtempSync(join(tmpdir(), 'two-processes-authorize-'));
  const daemonDb = openDatabase(dataDir);
  saveToken(daemonDb, NAME, { accessToken: null, refreshToken: 'spent-refresh-token', expiresAt: null }, new Date(clock.now()));
  const { gate, heldFetch } = holdingFetch();
  gate.hold = true;
  const daemon = createProvider(config, { db: daemonDb, logger: silentLogger(), fetch: heldFetch, now: clock.now });
  const attempt = daemon.accountInfo();
  await waitFor(() => gate.held, { what: "the daemon's refresh on its way" });
  const fresh = sim.issueTokens();
  saveToken(openDatabase(dataDir), NAME, { accessToken: fresh.accessToken, refreshToken: fresh.refreshToken, expiresAt: clock.now() + 3600_000, obtainedAt: clock.now() }, new Date(clock.now()));
  gate.release();

  await expect(attempt).resolves.toBeTruthy(); // with the token authorize stored
  expect(loadToken(daemonDb, NAME)).toMatchObject({ refreshToken: fresh.refreshToken, accessToken: fresh.accessToken });
});

it('a refusal with nobody else at the row still restores it and is reported as before', async () => {
  const clock = manualClock();
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: clock.now });
  const dataDir = mkdtempSync(join(tmpdir(), 'two-processes-alone-'));
  const db = openDatabase(dataDir);
  saveToken(db, NAME, { accessToken: null, refreshToken: 'spent-refresh-token', expiresAt: null }, new Date(clock.now()));
  const lockouts: string[] = [];
  const daemon = createProvider(providerConfig(sim), { db, logger: silentLogger(), now: clock.now, lockedOut: (n) => lockouts.push(n.subject) });
  await expect(daemon.accountInfo()).rejects.toMatchObject({ kind: 'auth' });
  expect(lockouts).toEqual(['Secured Signing refused the refresh token']);
  expect(loadToken(db, NAME)).toMatchObject({ refreshToken: 'spent-refresh-token', refreshIntent: null });
});
