// The simulator fails on purpose the way the other simulators do (http-util's faults), on
// API and token paths alike: a status with Retry-After in Signicat's problem shape, a call
// carried out whose answer never comes or comes garbled, a connection reset mid-upload
// (nothing stored). Each injected call is recorded with its fault.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { CLIENT_ID, CLIENT_SECRET, contractPdf, startWorld, twoSignerOrder, uploadPdf, type SimWorld } from './signicat-fixtures.ts';

let world: SimWorld;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.sim.close());

describe('injected faults', () => {
  it('a 429 with Retry-After on /orders, in the problem shape; the next call goes through', async () => {
    const documentRef = await uploadPdf(world.call);
    world.sim.failNext('/orders', { status: 429, retryAfter: 7 });
    const limited = await world.call('POST', '/orders', { json: twoSignerOrder(documentRef) });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body).toMatchObject({ status: 429, title: 'Too Many Requests', code: 'INJECTED' });
    expect(world.sim.orders.size).toBe(0);
    expect((await world.call('POST', '/orders', { json: twoSignerOrder(documentRef) })).status).toBe(201);
    expect(world.sim.calls.filter((c) => c.path === '/enterprise/sign/orders').map((c) => [c.status, c.fault])).toEqual([[429, 'status'], [201, undefined]]);
  });

  it('a 503 on the token endpoint (full path), twice', async () => {
    world.sim.failNext('/auth/open/connect/token', { status: 503, times: 2 });
    const ask = () => fetch(world.sim.tokenUrl, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }).toString(),
    });
    expect((await ask()).status).toBe(503);
    expect((await ask()).status).toBe(503);
    expect((await ask()).status).toBe(200);
  });

  it('hang: the upload is carried out but never answered', async () => {
    world.sim.failNext('/documents', { kind: 'hang' });
    const before = world.sim.documents.size;
    const token = world.sim.issueToken(CLIENT_ID);
    const call = fetch(`${world.sim.url}/documents`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/pdf' },
      body: await contractPdf() as Uint8Array<ArrayBuffer>, signal: AbortSignal.timeout(1_000),
    });
    await expect(call).rejects.toThrow();
    await waitFor(() => world.sim.documents.size === before + 1, { what: 'the hung upload to be stored' });
    expect(world.sim.calls.at(-1)).toMatchObject({ fault: 'hang', status: 0 });
  });

  it('malformed: a proxy page with 200 instead of the JSON', async () => {
    world.sim.failNext('/documents', { kind: 'malformed' });
    const answer = await world.call('POST', '/documents', { bytes: await contractPdf() });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/text\/html/);
    expect(answer.body).toEqual({});
  });

  it('reset: the connection drops mid-upload and nothing is stored', async () => {
    world.sim.failNext('/documents', { kind: 'reset', afterBytes: 100 });
    const before = world.sim.documents.size;
    await expect(world.call('POST', '/documents', { bytes: await contractPdf() })).rejects.toThrow();
    expect(world.sim.documents.size).toBe(before);
    expect(world.sim.calls.at(-1)?.fault).toBe('reset');
  });
});
