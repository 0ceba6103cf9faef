// The real clients against the simulators, met by answers that are not the API's word about
// the document (fuzz review M1, M2, L2): a 404 page from the token endpoint or in front of
// the API, and a token endpoint's odd 4xx, are no withdrawal and no verdict on the request;
// `check` does not pass a Signicat token URL that answers 404; a garbled journal row is a
// bad answer, not a TypeError.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { createSignicatClient } from '../../src/providers/signicat/client.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { startSignicatSimulator, type SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { createServiceNowClient } from '../../src/servicenow/client.ts';
import { API_KEY, API_SECRET, REFERER, memoryTokenStore, providerConfig, sendOf, sentDoc, taggedPdf } from '../sandbox/fixtures.ts';
import { basicAuth, snConfig } from '../servicenow/fixtures.ts';
import { signicatConfig } from '../support/provider-config.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const HTML_404 = '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>nginx</p></body></html>';
const PAGE = { status: 404, body: HTML_404, headers: { 'Content-Type': 'text/html' } };
const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: Error & { kind?: string; code?: string }) => err);

describe('Secured Signing', () => {
  let sim: SecuredSigningSimulator;
  afterEach(async () => sim?.close());

  async function sentDocument() {
    sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER });
    const config = providerConfig(sim, { refresh_token: sim.issueTokens().refreshToken });
    const setupStore = memoryTokenStore();
    const setup = createSecuredSigningClient({ config, tokenStore: setupStore });
    const { reference } = await setup.upload({ fileName: 'contract-tok123.pdf', bytes: await taggedPdf(), clientReference: 'tok123-1' });
    await setup.send(sendOf([reference]));
    // A token due for renewal: the next call refreshes it first.
    const store = memoryTokenStore({ ...setupStore.token!, accessToken: null, expiresAt: null });
    return { reference, client: createSecuredSigningClient({ config, tokenStore: store }) };
  }

  it('a 404 page from the token endpoint is no withdrawal: cancel() fails for the operator, and withdraws once the endpoint answers', async () => {
    const { reference, client } = await sentDocument();
    sim.failNext('/api/oauth2/token', PAGE);
    const err = await caught(client.cancel(sentDoc(reference)));
    expect(err).toMatchObject({ kind: 'config', code: 'provider_token_endpoint' });
    expect(err.message).toMatch(/^Secured Signing's token endpoint answered HTTP 404 when asked to refresh the OAuth2 access token: .*provider\.oauth_url/);
    expect(sim.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
    expect(sim.documents.get(reference)).toMatchObject({ status: 'InProgress' });
    await client.cancel(sentDoc(reference));
    expect(sim.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
  });

  it('a 422 (or 409, 418) from the token endpoint is no refusal of the request', async () => {
    const { reference, client } = await sentDocument();
    for (const status of [422, 409, 418]) {
      sim.failNext('/api/oauth2/token', { status, body: '<html>blocked</html>', headers: { 'Content-Type': 'text/html' } });
      expect(await caught(client.status(sentDoc(reference)))).toMatchObject({ kind: 'config', code: 'provider_token_endpoint' });
    }
    sim.failNext('/api/oauth2/token', { status: 502, body: '<html>bad gateway</html>' });
    expect(await caught(client.status(sentDoc(reference)))).toMatchObject({ kind: 'transient', code: 'provider_server_error' });
  });

  it('a 404 page answering the DELETE is not "withdrawn already"; the service\'s own 404 is', async () => {
    const { reference, client } = await sentDocument();
    sim.failNext('/Document/', PAGE);
    expect(await caught(client.cancel(sentDoc(reference)))).toMatchObject({ kind: 'config', code: 'provider_not_the_api' });
    expect(sim.documents.get(reference)).toMatchObject({ status: 'InProgress' });
    sim.failNext('/Document/', { status: 404 }); // the simulator's ServiceStack ResponseStatus
    await expect(client.cancel(sentDoc(reference))).resolves.toBeUndefined();
  });
});

describe('Signicat', () => {
  let sim: SignicatSimulator;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    sim = await startSignicatSimulator({ clients: { 'signrelay-test': { secret: 'sig-secret-never-show-42' } }, smtp: { host: '127.0.0.1', port: smtp.port } });
  });
  afterAll(async () => {
    await sim.close();
    await smtp.close();
  });

  async function sentOrder() {
    const config = signicatConfig({ base_url: sim.url, token_url: sim.tokenUrl });
    const setup = createSignicatClient({ config });
    const { reference } = await setup.upload({ fileName: 'contract.pdf', bytes: await taggedPdf(), clientReference: 'tok-1' });
    const result = await setup.send(sendOf([reference], { signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' }] }));
    return { document: { reference, kept: result.documents[0]!, orderId: result.orderId }, client: createSignicatClient({ config }) };
  }
  const deletes = () => sim.calls.filter((c) => c.method === 'DELETE').length;

  it('a 404 page from the token endpoint is no withdrawal: the order is not taken as deleted', async () => {
    const { document, client } = await sentOrder();
    const before = deletes();
    sim.failNext(new URL(sim.tokenUrl).pathname, PAGE);
    expect(await caught(client.cancel(document))).toMatchObject({ kind: 'config', code: 'provider_token_endpoint' });
    expect(deletes()).toBe(before);
    expect(sim.orders.get(document.orderId!)!.tasks.every((t) => t.status !== 'DELETED')).toBe(true);
  });

  it('a 404 page answering the task status read before the DELETE is not "withdrawn already"', async () => {
    const { document, client } = await sentOrder();
    const before = deletes();
    sim.failNext('/orders/', PAGE);
    expect(await caught(client.cancel(document))).toMatchObject({ kind: 'config', code: 'provider_not_the_api' });
    expect(deletes()).toBe(before);
    await client.cancel(document);
    expect(deletes()).toBe(before + 1);
  });
});

describe('answers from something else than the service', () => {
  let server: Server;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });
  async function serve(status: number, body: string, type: string): Promise<string> {
    server = createServer((_req, res) => { res.writeHead(status, { 'Content-Type': type }); res.end(body); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('a Signicat token_url that answers 404 does not pass the access check', async () => {
    const url = await serve(404, HTML_404, 'text/html');
    const client = createSignicatClient({ config: signicatConfig({ base_url: `${url}/enterprise/sign`, token_url: `${url}/wrong/token` }) });
    expect(await caught(client.accountInfo())).toMatchObject({ kind: 'config', code: 'provider_token_endpoint', message: expect.stringMatching(/provider\.token_url/) });
  });

  it('a ServiceNow journal answer with a null row is a bad answer, not a TypeError', async () => {
    const url = await serve(200, '{"result":[null]}', 'application/json');
    const client = createServiceNowClient({ config: snConfig(url, basicAuth()), tokenStore: memoryTokenStore() });
    expect(await caught(client.findJournalEntries('sc_req_item', 'abc', 'work_notes', 'signrelay'))).toMatchObject({ kind: 'transient', code: 'servicenow_bad_response' });
  });
});
