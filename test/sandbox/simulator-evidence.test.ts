// Least privilege, withdrawal and evidence at Secured Signing, through the production
// client against the simulator: a token with only the scopes signrelay asks for does all
// signrelay does (Account/Info with Basic); a token without SmartTag cannot upload or
// send, one without Basic cannot read the account; DELETE /Document/{ref} needs
// RemoveFromPackage; a completed document's signing completion certificate is listed and
// downloaded, under the same signature rules as every call, and a document that is not
// completed has none yet.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeaders } from '../../src/providers/secured-signing/auth-headers.ts';
import { DEFAULT_SCOPE } from '../../src/providers/secured-signing/authorization-code.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { isSignrelayError } from '../../src/errors.ts';
import { API_KEY, API_SECRET, REFERER, memoryTokenStore, providerConfig, sendOf, sentDoc, taggedPdf } from './fixtures.ts';

let sim: SecuredSigningSimulator;
beforeAll(async () => {
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, oauth: true, accessTokenLifetimeSeconds: 600 });
});
afterAll(() => sim.close());

/** The production client on a refresh token granted `scope`. */
function clientWith(scope: string) {
  const { refreshToken } = sim.oauth.issueTokens(scope);
  return createSecuredSigningClient({ config: providerConfig(sim, { refresh_token: refreshToken }), tokenStore: memoryTokenStore() });
}

async function sentDocument(scope = DEFAULT_SCOPE): Promise<string> {
  const client = clientWith(scope);
  const { reference } = await client.upload({ fileName: 'contract.pdf', bytes: await taggedPdf(), clientReference: `ref-${randomBytes(4).toString('hex')}` });
  await client.send(sendOf([reference]));
  return reference;
}

async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  if (!isSignrelayError(err)) throw new Error(`expected a refusal, got ${String(err)}`);
  return { code: err.code, message: err.message };
}

/** A call signed like the client's, with a bearer token of `scope` (or none). */
async function rawCall(method: string, path: string, scope: string | null = DEFAULT_SCOPE): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { ...signatureHeaders({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: Date.now() }), Accept: 'application/json' };
  if (scope !== null) headers.Authorization = `Bearer ${sim.oauth.issueTokens(scope).accessToken}`;
  const response = await fetch(`${sim.url}${path}`, { method, headers });
  return { status: response.status, text: await response.text() };
}

describe('scopes: signrelay asks for Basic SmartTag, not Account', () => {
  it('the authorize flow asks for exactly Basic and SmartTag', () => {
    expect(DEFAULT_SCOPE.split(' ').sort()).toEqual(['Basic', 'SmartTag']);
  });

  it('with Basic SmartTag: upload, send, status, account information, certificate — all of it', async () => {
    const client = clientWith('Basic SmartTag');
    const reference = await sentDocument('Basic SmartTag');
    await sim.complete(reference);
    expect((await client.status(sentDoc(reference))).phase).toBe('completed');
    expect((await client.accountInfo()).plan).toBe('Simulator');
    expect((await client.downloadCertificate(sentDoc(reference))).contentType).toBe('application/pdf');
  });

  it('without SmartTag, upload and SmartTag/Send are refused (403) with the scope named; without Basic, Account/Info is', async () => {
    const basicOnly = clientWith('Basic');
    const upload = await refusal(basicOnly.upload({ fileName: 'contract.pdf', bytes: await taggedPdf(), clientReference: 'scope-1' }));
    expect(upload.code).toBe('provider_auth');
    expect(upload.message).toMatch(/HTTP 403 InsufficientScope.*SmartTag scope.*run `signrelay authorize` again \(it asks for Basic SmartTag\)/);
    const reference = await sentDocument();
    expect((await rawCall('POST', '/SmartTag/Send', 'Basic')).status).toBe(403);
    expect((await basicOnly.status(sentDoc(reference))).phase).toBe('in-progress');

    const smartTagOnly = clientWith('SmartTag');
    expect((await refusal(smartTagOnly.accountInfo())).message).toMatch(/HTTP 403 InsufficientScope.*Basic scope/);
  });
});

describe('DELETE /Document/{ref} (withdrawal)', () => {
  it('without RemoveFromPackage: a 400 that names it; with a value that is not a boolean: a 400 too', async () => {
    const reference = await sentDocument();
    const missing = await rawCall('DELETE', `/Document/${reference}`);
    expect(missing.status).toBe(400);
    expect(missing.text).toMatch(/'RemoveFromPackage' is required/);
    expect((await rawCall('DELETE', `/Document/${reference}?RemoveFromPackage=maybe`)).status).toBe(400);
    expect(sim.documents.has(reference)).toBe(true);
  });

  it('the client sends RemoveFromPackage=true: the document is withdrawn, and a second withdrawal counts as done', async () => {
    const client = clientWith(DEFAULT_SCOPE);
    const reference = await sentDocument();
    await client.cancel(sentDoc(reference));
    expect(sim.calls.filter((c) => c.method === 'DELETE' && c.path.endsWith(`/Document/${reference}`)).map((c) => [c.query, c.status]))
      .toEqual([[{ RemoveFromPackage: 'true' }, 200]]);
    expect(sim.documents.has(reference)).toBe(false);
    await client.cancel(sentDoc(reference)); // 404: already gone
  });

  it('RemoveFromPackage=false deletes every document of the package', async () => {
    const client = clientWith(DEFAULT_SCOPE);
    const pdf = await taggedPdf();
    const first = (await client.upload({ fileName: 'a.pdf', bytes: pdf, clientReference: 'pkg-a' })).reference;
    const second = (await client.upload({ fileName: 'b.pdf', bytes: pdf, clientReference: 'pkg-b' })).reference;
    await client.send(sendOf([first, second]));
    expect((await rawCall('DELETE', `/Document/${first}?RemoveFromPackage=false`)).status).toBe(200);
    expect([sim.documents.has(first), sim.documents.has(second)]).toEqual([false, false]);
  });
});

describe('the signing completion certificate', () => {
  it('a document not completed has none yet: an empty list, which the client reports as not ready (transient)', async () => {
    const reference = await sentDocument();
    expect(await rawCall('GET', `/Document/SigningCompletionCertificate/${reference}`)).toEqual({ status: 200, text: '[]' });
    const err = await clientWith(DEFAULT_SCOPE).downloadCertificate(sentDoc(reference)).then(() => undefined, (e: unknown) => e);
    expect(isSignrelayError(err) && [err.kind, err.code]).toEqual(['transient', 'certificate_not_ready']);
  });

  it('a completed document has one: listed with its reference, downloaded as a PDF of its own', async () => {
    const reference = await sentDocument();
    await sim.complete(reference);
    const listed = JSON.parse((await rawCall('GET', `/Document/SigningCompletionCertificate/${reference}`)).text) as Array<{ CertificateReference: string; Status: string }>;
    expect(listed).toEqual([expect.objectContaining({ CertificateReference: sim.documents.get(reference)!.certificate!.reference, Status: 'Complete' })]);
    const certificate = await clientWith(DEFAULT_SCOPE).downloadCertificate(sentDoc(reference));
    expect(Buffer.from(certificate.bytes).equals(Buffer.from(sim.documents.get(reference)!.certificate!.bytes))).toBe(true);
    expect(certificate).toMatchObject({ contentType: 'application/pdf', fileSuffix: '-certificate.pdf' });
    expect(Buffer.from(certificate.bytes).equals(Buffer.from(sim.documents.get(reference)!.signedBytes!))).toBe(false);
  });

  it('an unknown document or certificate is a 404; a call without the bearer token a 401, as everywhere', async () => {
    expect((await rawCall('GET', '/Document/SigningCompletionCertificate/no-such-doc')).status).toBe(404);
    expect((await rawCall('GET', '/Download/SigningCompletionCertificate/no-such-certificate')).status).toBe(404);
    const reference = await sentDocument();
    await sim.complete(reference);
    expect((await rawCall('GET', `/Document/SigningCompletionCertificate/${reference}`, null)).status).toBe(401);
  });
});
