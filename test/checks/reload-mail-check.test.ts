// What a reload tries of its new mail settings before the running daemon stops: only the
// accounts whose login (or folders) it changes, and it refuses only what the server refused —
// a server that cannot be reached now was refused for a reload that renamed the From during
// an outage (diff review 21 M1). The login refused is in test/cli/run-reload.test.ts.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedMailRefusal } from '../../src/checks/reload-mail-check.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { Logger } from '../../src/log.ts';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function config(smtp: { from: string; port: number }) {
  return configSchema.parse({
    mailboxes: { requests: { host: '127.0.0.1', user: 'u', password: 'p', address: 'sign@corp.example' }, returns: { address: 'returns@corp.example', folder: 'Returns' } },
    smtp: { host: '127.0.0.1', ...smtp },
    provider: { api_key: 'k', api_secret: 's', referer: 'https://corp.example' },
    servicenow: { instance_url: 'https://acme.service-now.com', auth: { type: 'basic', user: 'u', password: 'p' } },
    routes: { default: {} },
    storage: { data_dir: mkdtempSync(join(tmpdir(), 'signrelay-reload-check-')) },
  });
}

function recordingLogger() {
  const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (message: string, fields?: Record<string, unknown>) => warnings.push({ message, fields }), child: () => logger } as unknown as Logger;
  return { logger, warnings };
}

describe('the mail settings a reload changes', () => {
  it('a new From name is not a new login: nothing is tried, nothing refused', async () => {
    const port = await closedPort();
    const { logger, warnings } = recordingLogger();
    expect(await changedMailRefusal(config({ from: 'signrelay <sign@corp.example>', port }), config({ from: 'Contract signing <sign@corp.example>', port }), logger)).toBeNull();
    expect(warnings).toEqual([]);
  });

  it('a changed login whose server cannot be reached now is not refused: the reload goes on, said in a warning', async () => {
    const [before, after] = [await closedPort(), await closedPort()];
    const { logger, warnings } = recordingLogger();
    expect(await changedMailRefusal(config({ from: 'sign@corp.example', port: before }), config({ from: 'sign@corp.example', port: after }), logger)).toBeNull();
    expect(warnings).toEqual([expect.objectContaining({ message: 'reloading with mail settings that could not be tried: the server did not answer', fields: expect.objectContaining({ setting: 'smtp' }) })]);
  });
});
