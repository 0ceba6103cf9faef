// The simulator's Document/Extend (the SDK's ExtendRequest) refuses what the real service
// would: an unsigned or unauthorised call, a missing or unreadable field, an unknown
// document, one no longer out for signing, a due date not in the future. What it accepts
// it keeps, and the status shows. The production client's extend is the caller here too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeaders } from '../../src/providers/secured-signing/auth-headers.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { API_KEY, API_SECRET, memoryTokenStore, providerConfig, REFERER, sendOf, sentDoc, taggedPdf } from './fixtures.ts';

let sim: SecuredSigningSimulator;
let withOAuth: SecuredSigningSimulator;
beforeAll(async () => {
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, oauth: false });
  withOAuth = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER });
});
afterAll(async () => {
  await sim.close();
  await withOAuth.close();
});

type Body = Record<string, unknown> & { ResponseStatus?: { ErrorCode?: string; Message?: string } };

async function extendCall(target: SecuredSigningSimulator, json: unknown, extra: { bearer?: string; signed?: boolean } = {}): Promise<{ status: number; body: Body }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (extra.signed !== false) Object.assign(headers, signatureHeaders({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: Date.now() }));
  if (extra.bearer) headers.Authorization = `Bearer ${extra.bearer}`;
  const response = await fetch(`${target.url}/Document/Extend`, { method: 'POST', headers, body: JSON.stringify(json) });
  return { status: response.status, body: await response.json() as Body };
}

const client = () => createSecuredSigningClient({ config: providerConfig(sim, { oauth: false }), tokenStore: memoryTokenStore() });
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000);

/** A document uploaded and sent through the production client, due tomorrow. */
async function sentDocument(): Promise<string> {
  const provider = client();
  const { reference } = await provider.upload({ fileName: 'contract.pdf', bytes: await taggedPdf(), clientReference: 'c-1' });
  await provider.send(sendOf([reference]));
  return reference;
}

describe('Document/Extend', () => {
  it('moves the due date of a document out for signing: answered with the Document, kept, shown by its status', async () => {
    const reference = await sentDocument();
    const later = new Date('2031-01-15T23:59:59Z');
    await client().extend(sentDoc(reference), later);
    const call = sim.calls.findLast((c) => c.path.endsWith('/Document/Extend'))!;
    expect(call).toMatchObject({ status: 200, body: { DocumentReference: reference, DueDate: '2031-01-15T23:59:59Z', GMT: '0' } });
    expect(sim.documents.get(reference)!.extensions).toEqual(['2031-01-15T23:59:59.000Z']);
    const direct = await extendCall(sim, { DocumentReference: reference, DueDate: '2031-02-01T23:59:59Z', GMT: '0' });
    expect(direct).toMatchObject({ status: 200, body: { Reference: reference, DueDate: '2031-02-01T23:59:59.000Z', Status: 'InProgress' } });
    const status = await fetch(`${sim.url}/Document/Status/${reference}`, { headers: signatureHeaders({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: Date.now() }) });
    expect(await status.json()).toMatchObject({ DueDate: '2031-02-01T23:59:59.000Z' });
  });

  it('refuses a missing or unreadable DocumentReference or DueDate with a clear 400', async () => {
    const reference = await sentDocument();
    const cases: Array<[unknown, string]> = [
      [{ DueDate: inDays(5).toISOString() }, 'DocumentReference is required'],
      [{ DocumentReference: '', DueDate: inDays(5).toISOString() }, 'DocumentReference is required'],
      [{ DocumentReference: reference }, 'DueDate is required'],
      [{ DocumentReference: reference, DueDate: '  ' }, 'DueDate is required'],
      [{ DocumentReference: reference, DueDate: 'next friday' }, 'DueDate "next friday" is not a date'],
    ];
    for (const [body, message] of cases) {
      const answer = await extendCall(sim, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.ResponseStatus?.Message).toBe(message);
    }
    expect(sim.documents.get(reference)!.extensions).toEqual([]);
  });

  it('answers 404 for a document it does not know, and for one withdrawn (deleted)', async () => {
    expect((await extendCall(sim, { DocumentReference: 'NoSuchDocument01', DueDate: inDays(5).toISOString() })).status).toBe(404);
    const reference = await sentDocument();
    await client().cancel(sentDoc(reference));
    const answer = await extendCall(sim, { DocumentReference: reference, DueDate: inDays(5).toISOString() });
    expect(answer.status).toBe(404);
    expect(answer.body.ResponseStatus?.Message).toContain('please check reference');
  });

  it('refuses (400) a document not out for signing: never sent, completed, declined, expired', async () => {
    const provider = client();
    const { reference: unsent } = await provider.upload({ fileName: 'contract.pdf', bytes: await taggedPdf(), clientReference: 'c-2' });
    const completed = await sentDocument();
    await sim.complete(completed);
    const declined = await sentDocument();
    sim.decline(declined, 'no');
    const expired = await sentDocument();
    sim.expire(expired);
    for (const reference of [unsent, completed, declined, expired]) {
      const answer = await extendCall(sim, { DocumentReference: reference, DueDate: inDays(5).toISOString() });
      expect(answer.status).toBe(400);
      expect(answer.body.ResponseStatus).toMatchObject({ ErrorCode: 'InvalidOperation', Message: expect.stringContaining('its due date cannot be extended') });
      expect(sim.documents.get(reference)!.extensions).toEqual([]);
    }
    // Through the client: a permanent refusal, not a retry.
    await expect(provider.extend(sentDoc(completed), inDays(5))).rejects.toMatchObject({ kind: 'permanent' });
  });

  it('refuses a due date that is not in the future, and keeps the old one', async () => {
    const reference = await sentDocument();
    const before = sim.documents.get(reference)!.dueDate;
    const answer = await extendCall(sim, { DocumentReference: reference, DueDate: new Date(Date.now() - 60_000).toISOString(), GMT: '0' });
    expect(answer).toMatchObject({ status: 400, body: { ResponseStatus: { Message: 'DueDate must be in the future' } } });
    expect(sim.documents.get(reference)!.dueDate).toBe(before);
  });

  it('needs the signature headers, and a bearer token with the Basic scope where OAuth is on', async () => {
    const body = { DocumentReference: 'NoSuchDocument01', DueDate: inDays(5).toISOString() };
    expect((await extendCall(sim, body, { signed: false })).status).toBe(401);
    expect((await extendCall(withOAuth, body)).status).toBe(401);
    const smartTagOnly = withOAuth.oauth.issueTokens('SmartTag').accessToken;
    expect(await extendCall(withOAuth, body, { bearer: smartTagOnly })).toMatchObject({ status: 403, body: { ResponseStatus: { ErrorCode: 'InsufficientScope' } } });
    // Past the checks: the document is unknown.
    expect((await extendCall(withOAuth, body, { bearer: withOAuth.oauth.issueTokens('Basic').accessToken })).status).toBe(404);
  });
});
