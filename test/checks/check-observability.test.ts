// `check`'s monitoring endpoint item (instances review L1): a port another program — another
// instance — listens on was found only by the daemon, after it had started its watchers, and
// systemd restarted it until its start limit; check said all was well.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { observabilityCheckItem } from '../../src/checks/check-observability.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { minimalConfigYaml } from '../cli/helpers.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

const dataDir = mkdtempSync(join(tmpdir(), 'signrelay-check-obs-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const configListening = (listen?: string) => parseConfigText(minimalConfigYaml(`routes: {default: {}}\n${listen ? `observability: {listen: "${listen}"}` : ''}`, dataDir), 'test.yaml', { requireSecrets: false });

/** A port some other program listens on. */
async function takenPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('the monitoring endpoint item', () => {
  it('a port another program listens on: ✗ saying so, with the fix', async () => {
    const port = await takenPort();
    expect(await observabilityCheckItem(configListening(`127.0.0.1:${port}`)).run()).toEqual({
      ok: false, detail: `cannot listen on 127.0.0.1:${port} (EADDRINUSE): another program — another signrelay instance? — listens on it`,
      fix: 'give observability.listen a port of its own (one per instance: 127.0.0.1:9465, …); the daemon does not start without it',
    });
  });

  it('a free port: ✓, and nothing left listening', async () => {
    const port = await takenPort();
    await new Promise((resolve) => servers.pop()!.close(resolve));
    expect(await observabilityCheckItem(configListening(`127.0.0.1:${port}`)).run()).toEqual({ ok: true, detail: `127.0.0.1:${port} is free` });
    expect(await observabilityCheckItem(configListening(`127.0.0.1:${port}`)).run()).toMatchObject({ ok: true }); // let go at once
  });

  it('off: ✓ off', async () => {
    expect(await observabilityCheckItem(configListening()).run()).toEqual({ ok: true, detail: 'off (observability.listen is not set)' });
  });
});
