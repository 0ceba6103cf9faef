// XOAUTH2 IMAP login end to end: the watcher gets an access token from the mail-oauth
// simulator's token endpoint (Microsoft app-only, Google refresh token) and logs in to a
// real Dovecot, whose oauth2 passdb asks the simulator whether the token is good for that
// mailbox. Expiry, early revocation, a refused grant and a missing mailbox permission.
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MailOauth2Config } from '../../src/config/schema.ts';
import type { SignrelayError } from '../../src/errors.ts';
import { createImapClient } from '../../src/mail/imap-client.ts';
import { createMailTokenSource, memoryTokenStore, type MailTokenStore } from '../../src/mail/mail-oauth-token.ts';
import { startMailOAuthSimulator, type MailOAuthSimulator } from '../../src/sandbox/mail-oauth/server.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { nextEvent, waitFor } from '../support/wait-for.ts';
import { stopAllWatchers, testMail, watch, type WatchOptions } from './watcher-harness.ts';

const TENANT = 'contoso-tenant-0001';
const APP_SECRET = 'app-secret-do-not-log-5d1e';
const GOOGLE_SECRET = 'google-secret-do-not-log-a7c3';
/** The accounts' passwords at Dovecot are unknown to the watcher: only XOAUTH2 can get in. */
const DOVECOT_PASSWORD = randomBytes(12).toString('hex');
const NOT_THE_PASSWORD = 'not-the-password-31';
const USERS = ['sign', 'expiry', 'revoked', 'denied', 'refused', 'guser', 'hanging', 'crowded'];

let sim: MailOAuthSimulator;
let dovecot: DovecotHandle;
/** The moment the identity provider and every token source read, while a test holds the clock still (else the real time). */
let frozenAt: number | null = null;
const clock = () => frozenAt ?? Date.now();

beforeAll(async () => {
  sim = await startMailOAuthSimulator({
    microsoft: {
      tenant: TENANT,
      apps: [
        { clientId: 'imap-app', clientSecret: APP_SECRET, roles: ['IMAP.AccessAsApp'], mailboxes: ['sign', 'expiry', 'revoked', 'refused', 'hanging', 'crowded'] },
        { clientId: 'no-mailbox-app', clientSecret: APP_SECRET, roles: ['IMAP.AccessAsApp'], mailboxes: [] },
      ],
    },
    google: { clients: { 'google-client': GOOGLE_SECRET }, rotateRefreshTokens: true },
    now: clock,
  });
  const { clientId, clientSecret } = sim.introspectionClient;
  dovecot = await startDovecot({
    users: Object.fromEntries(USERS.map((user) => [user, DOVECOT_PASSWORD])),
    oauth2: Object.fromEntries(USERS.map((user) => [user, { introspectionUrl: sim.introspectionUrl('imap', user), clientId, clientSecret }])),
  });
});
afterEach(async () => {
  await stopAllWatchers();
  sim.provider.lifetimeSeconds = 3599;
  frozenAt = null;
});
afterAll(async () => {
  await dovecot?.stop();
  await sim?.close();
});

function microsoft(overrides: Partial<MailOauth2Config> = {}): MailOauth2Config {
  return { type: 'oauth2', provider: 'microsoft', tenant: TENANT, client_id: 'imap-app', client_secret: APP_SECRET, token_url: sim.microsoftTokenUrl(TENANT), ...overrides };
}

function source(auth: MailOauth2Config, store: MailTokenStore = memoryTokenStore()) {
  return createMailTokenSource({ auth, settings: ['mailboxes.requests.auth'], name: 'mail:requests', store, now: clock });
}

/** A watcher on `user` logging in with tokens from `auth`; records the token each new client was given. */
function watchWithToken(user: string, auth: MailOauth2Config, options: WatchOptions & { store?: MailTokenStore } = {}) {
  const tokensUsed: Array<string | undefined> = [];
  const { store, ...rest } = options;
  const harness = watch(dovecot, user, NOT_THE_PASSWORD, {
    logLevel: 'debug',
    tokenSource: source(auth, store),
    createClient: (account, logger, clientOptions) => {
      tokensUsed.push(clientOptions?.accessToken);
      return createImapClient({ ...account, auth }, logger, clientOptions);
    },
    ...rest,
  });
  return { ...harness, tokensUsed };
}

const grantsFor = (clientId: string) => sim.provider.grants.filter((g) => g.clientId === clientId);

/** Nothing a login carries may be logged: secrets, tokens, the XOAUTH2 SASL string. */
function expectNoSecrets(text: string, user: string): void {
  for (const secret of [APP_SECRET, GOOGLE_SECRET, ...sim.provider.issued]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from(`user=${user}\x01auth=Bearer ${secret}\x01\x01`).toString('base64'));
  }
}

describe('XOAUTH2 login to IMAP (Dovecot oauth2 passdb + the mail-oauth simulator)', () => {
  it('logs in with an app-only Microsoft token that Dovecot has the identity provider confirm for the mailbox, and works the folder', async () => {
    const before = grantsFor('imap-app').length;
    const { watcher, tokensUsed, log } = watchWithToken('sign', microsoft());
    await nextEvent((fn) => watcher.on('connected', fn), { what: 'the XOAUTH2 login', timeoutMs: 5_000 });
    await dovecot.deliver('sign@corp.example', testMail('xoauth2-1'));
    await waitFor(async () => (await dovecot.list('sign', 'Processed')).length === 1, { what: 'the mail in Processed' });

    expect(dovecot.log()).toMatch(/Login: user=<sign>, method=XOAUTH2/);
    expect(sim.introspections).toContainEqual({ service: 'imap', mailbox: 'sign', active: true });
    expect(grantsFor('imap-app').slice(before).map((g) => g.outcome)).toEqual(['issued']);
    expect(tokensUsed).toHaveLength(1);
    expect(tokensUsed[0]).toMatch(/^EwB/);
    // The protocol log is on (debug), and still carries no secret.
    expect(log.entries.some((entry) => entry.message === 'imapflow')).toBe(true);
    expectNoSecrets(log.text(), 'sign');
  });

  it('reuses a token for a reconnect while it is fresh, and gets a new one once it is due (before it expires)', async () => {
    // The clock stands still but where the test moves it: however slow the box, "fresh" and
    // "due" are the moments the test picks (a token living 5 real seconds was used up by a
    // loaded box's Dovecot restart, and renewed where reuse was expected).
    frozenAt = Date.now();
    const before = grantsFor('imap-app').length;
    const { watcher, tokensUsed } = watchWithToken('expiry', microsoft());
    await nextEvent((fn) => watcher.on('connected', fn), { what: 'the first login' });
    const first = tokensUsed[0]!;
    const expiresAt = frozenAt + sim.provider.lifetimeSeconds * 1_000;

    // 61 s before it expires (renewal is due 60 s before): fresh — every attempt while
    // Dovecot restarts carries it, and the provider is not asked again.
    frozenAt = expiresAt - 61_000;
    let reconnected = nextEvent((fn) => watcher.on('connected', fn), { what: 'the second login', timeoutMs: 8_000 });
    await dovecot.restart();
    await reconnected;
    expect(tokensUsed.length).toBeGreaterThanOrEqual(2);
    expect(tokensUsed.every((token) => token === first)).toBe(true);
    expect(grantsFor('imap-app').length - before).toBe(1);

    // 59 s before it expires: due. The server would still take it, yet the next connect must not carry it.
    frozenAt = expiresAt - 59_000;
    expect(sim.provider.refusal('imap', 'expiry', first)).toBeNull();
    const reused = tokensUsed.length;
    reconnected = nextEvent((fn) => watcher.on('connected', fn), { what: 'the login once the token is due', timeoutMs: 8_000 });
    await dovecot.restart();
    await reconnected;
    expect(tokensUsed.slice(reused).length).toBeGreaterThanOrEqual(1);
    expect(tokensUsed.slice(reused).every((token) => token !== first)).toBe(true);
    expect(grantsFor('imap-app').length - before).toBe(2);
    expect(sim.introspections.filter((i) => i.mailbox === 'expiry').every((i) => i.active)).toBe(true);
  });

  it('replaces a token the server refused before its time (revoked) on the next attempt', async () => {
    const errors: SignrelayError[] = [];
    const { watcher, tokensUsed } = watchWithToken('revoked', microsoft(), { reconnect: { minDelayMs: 100, maxDelayMs: 300 } });
    watcher.on('error', (error) => errors.push(error));
    await nextEvent((fn) => watcher.on('connected', fn), { what: 'the first login' });
    sim.provider.revokeAccessTokens();
    const reconnected = nextEvent((fn) => watcher.on('connected', fn), { what: 'the login with a new token', timeoutMs: 8_000 });
    await dovecot.restart();
    await reconnected;

    // Offered once more (it was not due), refused by Dovecot, then replaced.
    expect(tokensUsed.length).toBeGreaterThanOrEqual(3);
    expect(tokensUsed.at(-2)).toBe(tokensUsed[0]);
    expect(tokensUsed.at(-1)).not.toBe(tokensUsed[0]);
    const refusal = errors.find((e) => e.code === 'imap_oauth_refused');
    expect(refusal).toMatchObject({ kind: 'auth' });
    expect(sim.introspections).toContainEqual({ service: 'imap', mailbox: 'revoked', active: false });
  });

  it('reports a refused token grant once per attempt, naming the setting, with backoff and no IMAP login', async () => {
    const before = grantsFor('imap-app').length;
    const { watcher, tokensUsed, log } = watchWithToken('refused', microsoft({ client_secret: 'wrong-secret-do-not-log-0b9' }), {
      reconnect: { minDelayMs: 300, maxDelayMs: 5_000, jitter: 'full', random: () => 0.999999 },
    });
    const [error] = await nextEvent<[SignrelayError]>((fn) => watcher.on('error', fn), { what: 'the refusal', timeoutMs: 3_000 });
    expect(error).toMatchObject({ kind: 'auth', code: 'mail_oauth_refused' });
    expect(error.message).toContain('mailboxes.requests.auth.client_secret');
    expect(error.message).toContain('AADSTS7000215');
    expect(error.message).not.toContain('wrong-secret-do-not-log-0b9');
    expect(watcher.status()).toMatchObject({ state: 'auth-error' });

    // Three asks, however long a busy machine takes: each at least its backoff delay
    // (300, 600 ms) after the one before — a hot loop would ask hundreds of times at once.
    const errorLines = () => log.entries.filter((entry) => entry.level === 'error');
    await waitFor(() => grantsFor('imap-app').length - before >= 3 && errorLines().length >= 3, { what: 'three token requests, each refused and logged' });
    const attempts = grantsFor('imap-app').slice(before);
    expect(attempts.every((g) => g.outcome === 'invalid_client')).toBe(true);
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(290);
    await watcher.stop();
    expect(tokensUsed).toEqual([]);
    // One error line per refused attempt, each saying what to fix.
    expect(errorLines().length).toBe(grantsFor('imap-app').length - before);
    expect(errorLines().every((entry) => String(entry.error).includes('mailboxes.requests.auth.client_secret'))).toBe(true);
    expect(log.text()).not.toContain('wrong-secret-do-not-log-0b9');
  });

  it('explains a login refused for lack of mailbox permission with the Exchange Online steps', async () => {
    const { watcher } = watchWithToken('denied', microsoft({ client_id: 'no-mailbox-app' }));
    const [error] = await nextEvent<[SignrelayError]>((fn) => watcher.on('error', fn), { what: 'the refused login', timeoutMs: 3_000 });
    expect(error).toMatchObject({ kind: 'auth', code: 'imap_oauth_refused' });
    expect(error.message).toContain('IMAP.AccessAsApp');
    expect(error.message).toContain('Add-MailboxPermission -Identity "denied"');
    expect(error.message).toContain('mailboxes.requests.auth.client_id');
    expect(error.message).not.toContain('mailboxes.requests.password');
    expect(watcher.status().state).toBe('auth-error');
  });

  it('logs in with a Google refresh token and saves the refresh token Google rotates it to', async () => {
    const configured = sim.provider.issueGoogleRefreshToken('google-client', 'guser');
    const store = memoryTokenStore();
    const auth: MailOauth2Config = { type: 'oauth2', provider: 'google', client_id: 'google-client', client_secret: GOOGLE_SECRET, refresh_token: configured, token_url: sim.googleTokenUrl };
    const { watcher, log } = watchWithToken('guser', auth, { store });
    await nextEvent((fn) => watcher.on('connected', fn), { what: 'the XOAUTH2 login with a Google token' });

    const saved = store.load('mail:requests');
    expect(saved?.refreshToken).toBeTruthy();
    expect(saved?.refreshToken).not.toBe(configured);
    expect(sim.provider.isRefreshTokenLive(saved!.refreshToken!)).toBe(true);
    expect(sim.provider.isRefreshTokenLive(configured)).toBe(false);
    expect(dovecot.log()).toMatch(/Login: user=<guser>, method=XOAUTH2/);
    expectNoSecrets(log.text(), 'guser');
  });

  it('stops at once while the token endpoint does not answer', async () => {
    sim.failNext(`/${TENANT}/`, { kind: 'hang' });
    const asked = sim.provider.grants.length;
    const { watcher, tokensUsed } = watchWithToken('hanging', microsoft());
    await waitFor(() => sim.provider.grants.length > asked, { what: 'the token request under way' });
    await watcher.stop();
    expect(watcher.status().state).toBe('stopped');
    expect(tokensUsed).toEqual([]);
  });

  // Last: it leaves Dovecot with a connection limit.
  it('a login refused for the account\'s connection limit is told as that, and the token is not taken for revoked (imap-variants review M1)', async () => {
    appendFileSync(`${dovecot.dir}/dovecot.conf`, '\nprotocol imap {\n  mail_max_userip_connections = 1\n}\n');
    await dovecot.restart();
    // Another client of the mailbox (a person's mail program) holds its one connection.
    const other = new ImapFlow({ host: dovecot.host, port: dovecot.imapPort, secure: false, auth: { user: 'crowded', pass: DOVECOT_PASSWORD }, logger: false });
    await other.connect();
    const errors: SignrelayError[] = [];
    const { watcher, tokensUsed } = watchWithToken('crowded', microsoft(), { reconnect: { minDelayMs: 100, maxDelayMs: 300 } });
    watcher.on('error', (error) => errors.push(error));
    await waitFor(() => errors.length >= 2, { what: 'two logins refused for the limit', timeoutMs: 8_000 });
    for (const error of errors) {
      expect(error).toMatchObject({ kind: 'transient', code: 'imap_connection_limit' });
      expect(error.message).toContain('Maximum number of connections');
      expect(error.message).not.toContain('Add-MailboxPermission');
    }
    // Waiting to try again, or trying (its backoff is 100–300 ms, the look above up to 250 ms late) — never auth-error.
    expect(['backoff', 'connecting']).toContain(watcher.status().state);
    // The token was good: offered again, not replaced as one the server refused.
    expect(tokensUsed.length).toBeGreaterThanOrEqual(2);
    expect(tokensUsed.every((token) => token === tokensUsed[0])).toBe(true);
    const connected = nextEvent((fn) => watcher.on('connected', fn), { what: 'the login once the other client left', timeoutMs: 8_000 });
    await other.logout();
    await connected;
  });
});
