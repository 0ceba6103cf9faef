// The Secured Signing client against the simulator over real HTTP: the whole round trip,
// OAuth expiry and rotation, and how each kind of failure reaches the caller.
import { afterEach, describe, expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator, type SecuredSigningSimulatorOptions } from '../../src/sandbox/secured-signing/server.ts';
import type { SignrelayError } from '../../src/errors.ts';
import { API_KEY, API_SECRET, REFERER, manualClock, memoryTokenStore, providerConfig, sendOf, sentDoc, taggedPdf, untaggedPdf } from '../sandbox/fixtures.ts';
import { bytesOf } from '../support/chunks.ts';

let sim: SecuredSigningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function setup(simOptions: Partial<SecuredSigningSimulatorOptions> = {}, configOverrides: Parameters<typeof providerConfig>[1] = {}) {
  const clock = manualClock();
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: clock.now, ...simOptions });
  const initial = sim.issueTokens();
  const store = memoryTokenStore();
  const client = createSecuredSigningClient({ config: providerConfig(sim, { refresh_token: initial.refreshToken, ...configOverrides }), tokenStore: store, now: clock.now });
  return { sim, client, store, clock, initial };
}

const tokenCalls = (s: SecuredSigningSimulator) => s.calls.filter((c) => c.path.endsWith('/token'));
const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: SignrelayError) => err);
const upload = async (client: ReturnType<typeof createSecuredSigningClient>, bytes?: Uint8Array) =>
  client.upload({ fileName: 'contract-tok123.pdf', bytes: bytes ?? await taggedPdf(), clientReference: 'tok123-1' });

describe('round trip', () => {
  it('uploads, sends, reads status and downloads the signed copy', async () => {
    const { sim, client } = await setup();
    const original = await taggedPdf();
    const { reference } = await upload(client, original);
    expect(sim.documents.get(reference)).toMatchObject({ name: 'contract-tok123.pdf', clientReference: 'tok123-1' });
    expect(await client.status(sentDoc(reference))).toMatchObject({ reference, phase: 'uploaded', raw: 'NotStart', sent: false });

    const dueAt = new Date(Date.now() + 14 * 86_400_000);
    await client.send({
      ...sendOf([reference]), dueAt, packageName: 'RITM0010001 – contract',
      signers: [{ firstName: 'Ånn', lastName: 'Lée', email: 'ann.lee@example.com' }, { firstName: 'Bob', lastName: 'Stone', email: 'bob.stone@example.com' }],
    });
    const send = sim.calls.find((c) => c.path.endsWith('/SmartTag/Send'))!;
    expect(send.body).toEqual({
      DocumentReferences: [reference], DueDate: dueAt.toISOString().replace(/\.\d{3}Z$/, 'Z'), GMT: '0', PackageName: 'RITM0010001 – contract',
      Signers: [{ FirstName: 'Ånn', LastName: 'Lée', Email: 'ann.lee@example.com' }, { FirstName: 'Bob', LastName: 'Stone', Email: 'bob.stone@example.com' }],
    });
    const sent = await client.status(sentDoc(reference));
    expect(sent).toMatchObject({ phase: 'in-progress', sent: true });
    expect(sent.signers.map((s) => s.email)).toEqual(['ann.lee@example.com', 'bob.stone@example.com']);

    sim.signNext(reference);
    expect(await client.status(sentDoc(reference))).toMatchObject({ phase: 'in-progress', raw: '1 of 2 Signed' });
    await sim.complete(reference);
    expect(await client.status(sentDoc(reference))).toMatchObject({ phase: 'completed', raw: 'Complete' });
    const signed = await bytesOf(client.download(sentDoc(reference)));
    expect(Buffer.from(signed).equals(Buffer.from(original))).toBe(false);
    expect((await extractPdfText(signed)).join('\n')).toContain('Signed by Ånn Lée <ann.lee@example.com>');
  });

  it('sends signers\' names as one plain line each: no control, override or zero-width character reaches the invitation', async () => {
    const { sim, client } = await setup();
    const { reference } = await upload(client);
    await client.send({
      ...sendOf([reference]), dueAt: new Date(Date.now() + 86_400_000), packageName: 'x',
      signers: [{ firstName: 'Ann\u202e\u200b', lastName: '\x1b[8mLee\r\nCEO', email: 'ann.lee@example.com' }, { firstName: 'Bob', lastName: 'Stone', email: 'bob.stone@example.com' }],
    });
    const send = sim.calls.filter((c) => c.path.endsWith('/SmartTag/Send')).at(-1)!;
    expect((send.body as { Signers: unknown[] }).Signers[0]).toEqual({ FirstName: 'Ann', LastName: '[8mLee CEO', Email: 'ann.lee@example.com' });
  });

  it('omits Signers when the request names none (the tags stand)', async () => {
    const { sim, client } = await setup();
    const { reference } = await upload(client);
    await client.send(sendOf([reference]));
    expect(sim.calls.find((c) => c.path.endsWith('/SmartTag/Send'))!.body).not.toHaveProperty('Signers');
    expect(sim.documents.get(reference)!.signers.map((s) => s.FirstName)).toEqual(['Ann', 'Bob']);
  });

  it('reads the account', async () => {
    const { client } = await setup({ maxUploadBytes: 5_000_000 });
    expect(await client.accountInfo()).toMatchObject({ plan: 'Simulator', documentsLeft: 1000, maxUploadBytes: 5_000_000 });
  });

  it('sends fresh signature headers and the bearer on every call', async () => {
    const { sim, client } = await setup();
    await client.accountInfo();
    await client.accountInfo();
    const api = sim.calls.filter((c) => c.path.includes('/Account/Info'));
    expect(api).toHaveLength(2);
    expect(api[0]!.headers['x-custom-nonce']).not.toBe(api[1]!.headers['x-custom-nonce']);
    expect(api[0]!.headers.authorization).toMatch(/^Bearer \S+$/);
    expect(api[0]!.headers.accept).toBe('application/json');
    expect(api[0]!.headers.referer).toBe(REFERER);
  });
});

describe('OAuth2', () => {
  it('refreshes before expiry and persists the rotated refresh token', async () => {
    const { sim, client, store, clock, initial } = await setup({ accessTokenLifetimeSeconds: 600 });
    await client.accountInfo();
    expect(tokenCalls(sim)).toHaveLength(1);
    const first = store.token!;
    expect(first.refreshToken).not.toBe(initial.refreshToken);
    expect(sim.oauth.isRefreshTokenValid(initial.refreshToken)).toBe(false);
    expect(sim.oauth.isRefreshTokenValid(first.refreshToken!)).toBe(true);
    expect(first.expiresAt).toBe(clock.now() + 600_000);

    clock.advance(530_000);
    await client.accountInfo();
    expect(tokenCalls(sim)).toHaveLength(1); // 70 s left: still outside the margin
    clock.advance(20_000); // 50 s left: inside the 60 s early-refresh margin
    await client.accountInfo();
    expect(tokenCalls(sim)).toHaveLength(2);
    expect(store.token!.refreshToken).not.toBe(first.refreshToken);
    expect(tokenCalls(sim)[1]!.body).toMatchObject({ grant_type: 'refresh_token', refresh_token: first.refreshToken, client_id: API_KEY });
  });

  it('on a 401 for a dead token refreshes once and retries once', async () => {
    const { sim, client, store } = await setup({ accessTokenLifetimeSeconds: 3600 });
    await client.accountInfo();
    sim.oauth.revokeAccessToken(store.token!.accessToken!);
    const callsBefore = sim.calls.length;
    await client.accountInfo();
    expect(sim.calls.slice(callsBefore).map((c) => `${c.path.replace(/^.*(\/web\/v1\.4|\/api\/oauth2)/, '')} ${c.status}`)).toEqual(['/Account/Info 401', '/token 200', '/Account/Info 200']);
  });

  it('expiry by the clock alone (30 s tokens) is handled without a failed call', async () => {
    const { sim, client, clock } = await setup({ accessTokenLifetimeSeconds: 30 });
    await client.accountInfo();
    clock.advance(31_000);
    await client.accountInfo();
    expect(sim.calls.filter((c) => c.status === 401)).toHaveLength(0);
    expect(tokenCalls(sim)).toHaveLength(2);
  });

  it('a second 401 after the refresh is an auth error, not a loop', async () => {
    const { sim, client } = await setup();
    sim.failNext('/Account/Info', { status: 401, times: 2 });
    const err = await caught(client.accountInfo());
    expect(err).toMatchObject({ kind: 'auth', code: 'provider_auth' });
    expect(sim.calls.filter((c) => c.path.endsWith('/Account/Info'))).toHaveLength(2);
  });

  it('concurrent calls share one refresh', async () => {
    const { sim, client } = await setup();
    await Promise.all([client.accountInfo(), client.accountInfo(), client.accountInfo()]);
    expect(tokenCalls(sim)).toHaveLength(1);
  });

  it('keeps the old refresh token when the answer has none', async () => {
    const { sim, client, store, initial } = await setup({ rotateRefreshTokens: false });
    await client.accountInfo();
    expect(store.token!.refreshToken).toBe(initial.refreshToken);
    expect(sim.oauth.isRefreshTokenValid(initial.refreshToken)).toBe(true);
  });

  it('a dead refresh token is an auth error that says how to replace it', async () => {
    const { client } = await setup({}, { refresh_token: 'never-issued' });
    const err = await caught(client.accountInfo());
    expect(err).toMatchObject({ kind: 'auth', code: 'provider_token_refused' });
    expect(err.message).toContain('run `signrelay authorize`');
    expect(err.message).not.toContain('never-issued');
  });

  it('a new provider.refresh_token replaces a dead stored chain; an unchanged one does not', async () => {
    const { sim, store, clock } = await setup();
    const fresh = sim.issueTokens();
    const deadChain = { accessToken: null, refreshToken: 'dead-rotated-token', expiresAt: null, seed: 'sha-of-an-older-config-token' };
    store.token = { ...deadChain };
    const client = createSecuredSigningClient({ config: providerConfig(sim, { refresh_token: fresh.refreshToken }), tokenStore: store, now: clock.now });
    await client.accountInfo();
    expect(store.token!.seed).toMatch(/^[0-9a-f]{64}$/);
    // The chain now started from this config token: the rotated stored token is used from here on.
    const rotated = store.token!.refreshToken;
    store.token = { ...store.token!, accessToken: null, expiresAt: null };
    const again = createSecuredSigningClient({ config: providerConfig(sim, { refresh_token: fresh.refreshToken }), tokenStore: store, now: clock.now });
    await again.accountInfo();
    const lastGrant = tokenCalls(sim).at(-1)!.body as Record<string, string>;
    expect(lastGrant.refresh_token).toBe(rotated);
  });

  it('no refresh token at all is an auth error', async () => {
    const { client } = await setup({}, { refresh_token: undefined });
    expect(await caught(client.accountInfo())).toMatchObject({ kind: 'auth', code: 'provider_not_authorized' });
  });
});

describe('failures', () => {
  it('429 with Retry-After is transient with retryAfterSeconds', async () => {
    const { sim, client } = await setup();
    sim.failNext('/Document/Uploader', { status: 429, retryAfter: 42 });
    const err = await caught(upload(client));
    expect(err).toMatchObject({ kind: 'transient', code: 'provider_rate_limited', retryAfterSeconds: 42 });
  });

  it('500 is transient', async () => {
    const { sim, client } = await setup();
    sim.failNext('/SmartTag/Send', { status: 500 });
    const err = await caught(client.send(sendOf(['x'])));
    expect(err).toMatchObject({ kind: 'transient', code: 'provider_server_error' });
  });

  it('an unknown reference is a permanent 404', async () => {
    const { client } = await setup();
    const err = await caught(client.status(sentDoc('no-such-ref')));
    expect(err).toMatchObject({ kind: 'permanent', code: 'provider_not_found' });
    expect(err.message).toContain('please check reference');
  });

  it('an untagged document is refused for good, with the reason', async () => {
    const { client } = await setup();
    const { reference } = await upload(client, await untaggedPdf());
    const err = await caught(client.send(sendOf([reference])));
    expect(err).toMatchObject({ kind: 'permanent', code: 'provider_rejected' });
    expect(err.message).toContain('[!Sign.');
  });

  it('a wrong secret is an auth error and the secret never shows', async () => {
    const wrong = 'wrong-secret-7c1d-never-show';
    const { client } = await setup({ oauth: false }, { oauth: false, api_secret: wrong });
    const err = await caught(client.accountInfo());
    expect(err).toMatchObject({ kind: 'auth', code: 'provider_auth' });
    expect(JSON.stringify({ message: err.message, cause: String(err.cause) })).not.toContain(wrong);
    expect(err.message).not.toContain(API_SECRET);
  });

  it('malformed JSON is a transient bad response', async () => {
    const { sim, client } = await setup({ oauth: false }, { oauth: false });
    sim.setMalformedJson(true);
    expect(await caught(client.accountInfo())).toMatchObject({ kind: 'transient', code: 'provider_bad_response' });
  });

  it('an unreachable service is transient', async () => {
    const { sim, client } = await setup({ oauth: false }, { oauth: false });
    await sim.close();
    expect(await caught(client.accountInfo())).toMatchObject({ kind: 'transient', code: 'provider_unreachable' });
  });

  it('a server that answers JSON but is not Secured Signing is named as such, with the setting (no false ✓ in check)', async () => {
    await setup({ oauth: false }, { oauth: false });
    const other = createSecuredSigningClient({
      config: providerConfig(sim!, { oauth: false }), tokenStore: memoryTokenStore(),
      fetch: async () => new Response(JSON.stringify({ status: 'ok', version: 3 }), { status: 200, headers: { 'Content-Type': 'application/json' } }),
    });
    const err = await caught(other.accountInfo());
    expect(err).toMatchObject({ kind: 'config', code: 'provider_not_secured_signing' });
    expect((err as Error).message).toBe('what answered to read the account information (GET /Account/Info) is not Secured Signing: its answer has none of PlanName, DocumentLeft, MaxUploadSize. Check provider.environment');
  });

  it('a service that never answers times out (timeout_seconds)', async () => {
    await setup({ oauth: false }, { oauth: false });
    const hanging = createSecuredSigningClient({
      config: providerConfig(sim!, { oauth: false, timeout_seconds: 1 }), tokenStore: memoryTokenStore(),
      fetch: (_url, init) => new Promise((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason))),
    });
    expect(await caught(hanging.accountInfo())).toMatchObject({ kind: 'transient', code: 'provider_timeout' });
  });
});

describe('without OAuth', () => {
  it('works on signature headers alone and sends no Authorization', async () => {
    const { sim, client } = await setup({ oauth: false }, { oauth: false });
    const { reference } = await upload(client);
    await client.send(sendOf([reference]));
    expect(await client.status(sentDoc(reference))).toMatchObject({ sent: true });
    expect(tokenCalls(sim)).toHaveLength(0);
    expect(sim.calls.every((c) => c.headers.authorization === undefined)).toBe(true);
  });

  it('an OAuth-only key refuses calls without a bearer', async () => {
    const { client } = await setup({ oauth: true }, { oauth: false });
    const err = await caught(client.accountInfo());
    expect(err).toMatchObject({ kind: 'auth' });
    expect(err.message).toContain('Bearer');
  });
});
