// The hanging-call tests' fetch: the client's timeout fires only once the call was carried out.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { fetchTimingOutAfter } from './timeout-after.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** A server that reads each call and never answers; `arrived` counts the calls. */
async function silentServer(): Promise<{ url: string; arrived: () => number }> {
  let arrived = 0;
  server = createServer((req) => {
    req.resume();
    req.on('end', () => (arrived += 1));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, arrived: () => arrived };
}

it('holds the timeout until the call is carried out, then aborts with the timeout\'s own reason', async () => {
  const { url, arrived } = await silentServer();
  let carriedOut = false;
  let abortedAt: number | undefined;
  let carriedOutAt: number | undefined;
  const fetch = fetchTimingOutAfter(() => carriedOut);
  const timeout = AbortSignal.timeout(20);
  const call = fetch(url, { method: 'POST', body: 'note', signal: timeout }).catch((err: Error) => {
    abortedAt = performance.now();
    return err;
  });
  await expect.poll(arrived).toBe(1);
  // The client's timeout has fired, and what it would abort has had its turn: the call still waits.
  if (!timeout.aborted) await new Promise((resolve) => timeout.addEventListener('abort', resolve, { once: true }));
  await new Promise((resolve) => setImmediate(resolve));
  expect(abortedAt).toBeUndefined();
  carriedOutAt = performance.now();
  carriedOut = true;
  const err = await call;
  expect(err).toMatchObject({ name: 'TimeoutError' });
  expect(abortedAt!).toBeGreaterThanOrEqual(carriedOutAt);
});

it('passes a call without a signal, and one whose signal is not aborted, as it is', async () => {
  const answered = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => answered.listen(0, '127.0.0.1', resolve));
  const okUrl = `http://127.0.0.1:${(answered.address() as AddressInfo).port}/`;
  const fetch = fetchTimingOutAfter(() => false);
  expect(await (await fetch(okUrl)).text()).toBe('ok');
  expect(await (await fetch(okUrl, { signal: AbortSignal.timeout(60_000) })).text()).toBe('ok');
  await new Promise((resolve) => answered.close(resolve));
});
