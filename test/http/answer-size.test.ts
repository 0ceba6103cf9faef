// An answer is the remote side's to shape (fault review F3): every answer that is not a
// download streamed to disk is read up to MAX_ANSWER_BYTES and no further. Read whole, a
// 300 MB status answer took the daemon 1.2 GB, and a ServiceNow answer past V8's longest
// string failed as "could not reach ServiceNow … check the network" although it answered.
// A service that answers without end is run here on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ANSWER_BYTES, readAnswer } from '../../src/http/streamed-bodies.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { createServiceNowClient } from '../../src/servicenow/client.ts';
import { memoryTokenStore, providerConfig } from '../sandbox/fixtures.ts';
import { basicAuth, snConfig } from '../servicenow/fixtures.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A service that answers every call with `status` and a body that never ends (until the caller hangs up); how much it sent. */
async function endlessService(status: number, contentType: string, opening: string): Promise<{ url: string; sent: () => number }> {
  let sent = 0;
  const chunk = Buffer.alloc(256 * 1024, 'x');
  server = createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': contentType });
    res.write(opening);
    const more = () => {
      while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed) res.once('drain', more);
    };
    res.on('close', () => res.removeAllListeners('drain'));
    more();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent: () => sent };
}

const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: Error & { kind?: string; code?: string }) => err);

describe('answers read into memory', () => {
  it('are read up to the limit, and the rest is not asked for', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({ pull(controller) { pulled++; controller.enqueue(new Uint8Array(1024 * 1024)); } });
    const { bytes, tooLarge } = await readAnswer(new Response(endless), 4 * 1024 * 1024);
    expect(tooLarge).toBe(true);
    expect(bytes.byteLength).toBe(4 * 1024 * 1024);
    expect(pulled).toBeLessThan(8);
    expect(await readAnswer(new Response('{"ok":true}'))).toMatchObject({ tooLarge: false, bytes: new TextEncoder().encode('{"ok":true}') });
  });

  it('Secured Signing: a status answer without end is a bad response, asked again later — not read whole', async () => {
    const service = await endlessService(200, 'application/json', '{"Status":"InProgress","Padding":"');
    const client = createSecuredSigningClient({ config: providerConfig({ url: service.url, oauthUrl: service.url }, { oauth: false }), tokenStore: memoryTokenStore() });
    const err = await caught(client.status({ reference: 'doc-1' } as never));
    expect(err).toMatchObject({ kind: 'transient', code: 'provider_bad_response' });
    expect(err.message).toMatch(/answered oddly to read the status of document doc-1 .*larger than 16 MB/);
    expect(service.sent()).toBeLessThan(MAX_ANSWER_BYTES * 4);
    // The token endpoint's answer, the same.
    const tokens = createSecuredSigningClient({ config: providerConfig({ url: service.url, oauthUrl: service.url }, { refresh_token: 'rt-1' }), tokenStore: memoryTokenStore() });
    const refused = await caught(tokens.status({ reference: 'doc-1' } as never));
    expect(refused).toMatchObject({ kind: 'transient', code: 'provider_bad_response' });
    expect(refused.message).toMatch(/larger than 16 MB/);
  });

  it('ServiceNow: a record look-up answered without end is a bad response, not "could not reach"; an error page without end is still its status', async () => {
    const ok = await endlessService(200, 'application/json', '{"result":[');
    const client = createServiceNowClient({ config: snConfig(ok.url, basicAuth()), tokenStore: memoryTokenStore() });
    const err = await caught(client.findRecord('sc_req_item', 'RITM0010001'));
    expect(err).toMatchObject({ kind: 'transient', code: 'servicenow_bad_response' });
    expect(err.message).toMatch(/larger than 16 MB/);
    expect(err.message).not.toMatch(/could not reach/);
    server!.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    const unavailable = await endlessService(503, 'text/html', '<html><body>Maintenance');
    const busy = createServiceNowClient({ config: snConfig(unavailable.url, basicAuth()), tokenStore: memoryTokenStore() });
    expect(await caught(busy.findRecord('sc_req_item', 'RITM0010001'))).toMatchObject({ kind: 'transient', code: 'servicenow_unavailable' });
  });
});
