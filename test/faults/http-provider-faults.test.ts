// The Secured Signing client against the simulator misbehaving the way a real service, or
// the network in between, does: a call that never answers, a 200 that is not the API's
// JSON, a connection reset mid-upload, a download that breaks off. Each ends, within the call's timeout, in a transient
// error that names the service and the endpoint and says when the effect may have happened
// — and the simulator shows whether it did, which is what the job's retry must go by.
import { PDFDocument } from 'pdf-lib';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignrelayError } from '../../src/errors.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { BlobStore } from '../../src/store/blobs.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { API_KEY, API_SECRET, REFERER, memoryTokenStore, providerConfig, sendOf, sentDoc, taggedPdf } from '../sandbox/fixtures.ts';
import { fetchTimingOutAfter } from '../support/timeout-after.ts';

let sim: SecuredSigningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A 1 s timeout where a call is meant to hang; otherwise one an ordinary call on a busy machine never meets. */
async function setup(timeoutSeconds = 10) {
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER });
  const store = memoryTokenStore();
  return { sim, client: clientOf(sim, store, timeoutSeconds, { refreshToken: sim.issueTokens().refreshToken }), store };
}

/**
 * A client of `sim` on the tokens in `store`. A second client with a 1 s timeout makes only
 * the call meant to hang meet it: the calls before it (an upload the simulator reads with
 * pdf.js, cold, on a machine running two suites) took more than 1 s there.
 */
function clientOf(sim: SecuredSigningSimulator, store: ReturnType<typeof memoryTokenStore>, timeoutSeconds: number, { refreshToken, carriedOut }: { refreshToken?: string; carriedOut?: () => boolean } = {}) {
  // `carriedOut`: the hanging call's timeout waits until it holds (test/support/timeout-after.ts).
  const fetch = carriedOut ? fetchTimingOutAfter(carriedOut) : undefined;
  return createSecuredSigningClient({ config: providerConfig(sim, { refresh_token: refreshToken ?? store.token!.refreshToken!, timeout_seconds: timeoutSeconds }), tokenStore: store, fetch });
}

const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: SignrelayError) => err);
const sendInput = (reference: string) => sendOf([reference]);

/** What the operator may see must hold neither the API secret, nor a token, nor a stack. */
function expectClean(err: SignrelayError, store: ReturnType<typeof memoryTokenStore>): void {
  const shown = err.message;
  expect(shown).not.toContain(API_SECRET);
  for (const token of store.saves) {
    expect(shown).not.toContain(token.accessToken);
    if (token.refreshToken) expect(shown).not.toContain(token.refreshToken);
  }
  expect(shown).not.toMatch(/\n\s+at /);
}

/** A tagged PDF of about 1 MB, so that a reset lands while the upload is still being written. */
async function largeTaggedPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.load(await taggedPdf());
  await doc.attach(randomBytes(1024 * 1024), 'annex.bin', { mimeType: 'application/octet-stream' });
  return doc.save();
}

describe('a call that never answers', () => {
  it('SmartTag/Send: a timeout naming the endpoint and the setting; the send happened, and Document/Status tells', async () => {
    const { sim, client: patient, store } = await setup();
    const { reference } = await patient.upload({ fileName: 'contract.pdf', bytes: await taggedPdf(), clientReference: 'tok-1' });
    const client = clientOf(sim, store, 1, { carriedOut: () => sim.documents.get(reference)?.sent === true });
    sim.failNext('/SmartTag/Send', { kind: 'hang' });
    const err = await caught(client.send(sendInput(reference)));
    expect(err).toMatchObject({ kind: 'transient', code: 'provider_timeout' });
    expect(err.message).toBe(`Secured Signing did not answer to send ${reference} for signing (POST /SmartTag/Send) within 1 s (provider.timeout_seconds); whether it was done is unknown; will retry`);
    expectClean(err, store);
    // The outcome is unknown to the client, not to the service: this is what the submit job's retry asks.
    expect(sim.documents.get(reference)!.sent).toBe(true);
    expect(await patient.status(sentDoc(reference))).toMatchObject({ sent: true });
  });

  it('the OAuth token call has the same timeout', async () => {
    const { sim, client } = await setup(1);
    // (The simulator rotated the refresh token before the answer was withheld: what follows
    // is the lost-rotation case, which the token manager reports on its own.)
    sim.failNext('/api/oauth2/token', { kind: 'hang' });
    const err = await caught(client.accountInfo());
    expect(err).toMatchObject({ kind: 'transient', code: 'provider_timeout' });
    expect(err.message).toMatch(/^Secured Signing did not answer to .*token.* within 1 s \(provider\.timeout_seconds\); will retry$/);
    expect(sim.calls.filter((c) => c.path.includes('/Account/Info'))).toHaveLength(0);
  });
});

describe('a 200 that is not the API\'s JSON', () => {
  it('an HTML page answering SmartTag/Send: the outcome is unknown, not failed — and the send happened', async () => {
    const { sim, client, store } = await setup();
    const { reference } = await client.upload({ fileName: 'contract.pdf', bytes: await taggedPdf(), clientReference: 'tok-1' });
    sim.failNext('/SmartTag/Send', { kind: 'malformed', body: 'html' });
    const err = await caught(client.send(sendInput(reference)));
    expect(err).toMatchObject({ kind: 'transient', code: 'provider_bad_response' });
    expect(err.message).toMatch(/^Secured Signing answered oddly to send .* \(POST \/SmartTag\/Send\): the body is an HTML page, not JSON .*; whether it was done is unknown; will retry$/);
    expectClean(err, store);
    expect(sim.documents.get(reference)!.sent).toBe(true);
  });

  it('truncated JSON answering an upload: the document exists at the service, its reference is lost', async () => {
    const { sim, client } = await setup();
    sim.failNext('/Document/Uploader', { kind: 'malformed', body: 'truncated' });
    const err = await caught(client.upload({ fileName: 'contract.pdf', bytes: await taggedPdf(), clientReference: 'tok-1' }));
    expect(err).toMatchObject({ kind: 'transient', code: 'provider_bad_response' });
    expect(err.message).toMatch(/\(POST \/Document\/Uploader\): the body is not valid JSON \(application\/json\); whether it was done is unknown/);
    // The API has no lookup by client reference: the retry uploads again and this one is an orphan, never sent.
    expect([...sim.documents.values()].map((d) => [d.clientReference, d.sent])).toEqual([['tok-1', false]]);
  });

  it('truncated JSON answering a read is a plain bad response, and the next read goes through', async () => {
    const { sim, client } = await setup();
    const { reference } = await client.upload({ fileName: 'contract.pdf', bytes: await taggedPdf(), clientReference: 'tok-1' });
    sim.failNext('/Document/Status', { kind: 'malformed', body: 'truncated' });
    const err = await caught(client.status(sentDoc(reference)));
    expect(err).toMatchObject({ kind: 'transient', code: 'provider_bad_response' });
    expect(err.message).toMatch(/read the status of document .* \(GET \/Document\/Status\)/);
    expect(err.message).not.toMatch(/unknown/);
    expect(await client.status(sentDoc(reference))).toMatchObject({ reference, sent: false });
  });
});

describe('a connection reset mid-upload', () => {
  it('is transient, names the upload, and nothing was uploaded: the retry uploads once', async () => {
    const { sim, client, store } = await setup();
    const bytes = await largeTaggedPdf();
    sim.failNext('/Document/Uploader', { kind: 'reset', afterBytes: 64 * 1024 });
    const err = await caught(client.upload({ fileName: 'contract.pdf', bytes, clientReference: 'tok-1' }));
    expect(err).toMatchObject({ kind: 'transient', code: 'provider_connection_lost' });
    expect(err.message).toMatch(/^the connection to Secured Signing broke \((ECONNRESET|EPIPE|UND_ERR_SOCKET)\) while trying to upload the document contract\.pdf \(POST \/Document\/Uploader\); whether it was done is unknown; will retry$/);
    expectClean(err, store);
    expect(sim.calls.find((c) => c.fault === 'reset')).toMatchObject({ path: '/web/v1.4/Document/Uploader/tok-1', status: 0 });
    expect(sim.documents.size).toBe(0);

    const { reference } = await client.upload({ fileName: 'contract.pdf', bytes, clientReference: 'tok-1' });
    expect([...sim.documents.keys()]).toEqual([reference]);
  });
});

describe('a download that breaks off', () => {
  it('is transient, names the download, and stores nothing: the retry stores the whole copy', async () => {
    const { sim, client, store } = await setup();
    const { reference } = await client.upload({ fileName: 'contract.pdf', bytes: await largeTaggedPdf(), clientReference: 'tok-1' });
    await client.send(sendInput(reference));
    await sim.complete(reference);
    const blobs = new BlobStore(mkdtempSync(join(tmpdir(), 'signrelay-cut-')));
    try {
      sim.failNext('/Download/GetDocumentData', { kind: 'cut', afterBytes: 256 * 1024 });
      const err = await caught(blobs.putStream(await client.download(sentDoc(reference))));
      expect(err).toMatchObject({ kind: 'transient', code: 'provider_connection_lost' });
      expect(err.message).toMatch(/while trying to download document \S+ \(GET \/Download\/GetDocumentData\); will retry$/);
      expectClean(err, store);
      expect(readdirSync(blobs.dir, { recursive: true })).toEqual([]);

      const sha256 = await blobs.putStream(await client.download(sentDoc(reference)));
      expect(sha256).toBe(createHash('sha256').update(sim.documents.get(reference)!.signedBytes!).digest('hex'));
      expect(readdirSync(blobs.dir, { recursive: true }).filter((f) => String(f).endsWith('.pdf'))).toHaveLength(1);
    } finally {
      rmSync(join(blobs.dir, '..'), { recursive: true, force: true });
    }
  });
});
