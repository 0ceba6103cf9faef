// The running service (`signrelay run`) across a reload, which stops the daemon and starts
// one on the new configuration: the new daemon takes the warm PDF worker as it is — the same
// process, parsers loaded, nothing started again — and the data dir's lock is held throughout,
// so no second signrelay can start between the two daemons. The service's own stop ends both.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { endIdlePdfWorkers, pdfPoolStatus } from '../../src/pdf/pdf-pool.ts';
import { isSignrelayError } from '../../src/errors.ts';
import { startService } from '../../src/service/running-service.ts';
import { lockDataDir } from '../../src/store/data-dir-lock.ts';
import { configSchema } from '../../src/config/schema.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { insertRequest } from '../../src/store/requests.ts';
import { startWorld, type World } from '../integration/world.ts';
import { isAlive as alive } from '../support/child-pids.ts';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => world?.close());

it('keeps its warm PDF worker across a reload, and ends it when the service stops', async () => {
  endIdlePdfWorkers(); // none left by the file before
  const service = await startService(world.config);
  const [warm] = pdfPoolStatus().pids;
  expect(warm).toBeDefined();
  const started = pdfPoolStatus().started;

  expect(await service.reload(() => world.config)).toBe(true);
  expect(pdfPoolStatus()).toMatchObject({ warm: true, idle: 1, pids: [warm], started });

  await service.stop();
  expect(pdfPoolStatus()).toMatchObject({ warm: false, idle: 0 });
  await expect.poll(() => alive(warm!), { timeout: 60_000 }).toBe(false);
});

it('holds the data dir\'s lock between the two daemons of a reload, and lets it go when the service stops', async () => {
  const service = await startService(world.config);
  /** What a second signrelay starting on the same data dir meets. */
  const secondStart = () => {
    try {
      lockDataDir(world.config.storage.data_dir).release();
      return 'started';
    } catch (err) {
      return isSignrelayError(err) ? err.code : String(err);
    }
  };
  expect(secondStart()).toBe('data_dir_in_use');
  // Tried right after the old daemon has stopped, before the new one starts.
  const stopping = service.daemon;
  const stop = stopping.stop.bind(stopping);
  let inTheGap: string | undefined;
  stopping.stop = async () => {
    await stop();
    inTheGap = secondStart();
  };
  expect(await service.reload(() => world.config)).toBe(true);
  expect(service.daemon).not.toBe(stopping);
  expect(inTheGap).toBe('data_dir_in_use');
  expect(secondStart()).toBe('data_dir_in_use');

  await service.stop();
  expect(secondStart()).toBe('started');
});

it('refuses a reload, and a start, that switches the provider while requests are open with the one it has: only it can finish them', async () => {
  const service = await startService(world.config);
  const running = service.daemon;
  // A request out for signing with Secured Signing.
  const id = insertRequest(running.db, {
    token: 'tok-provider-switch', state: 'received', route: 'default', provider: 'secured-signing', requester: 'ann@corp.example',
    subject: 'Contract', messageId: '<switch@corp.example>', record: { number: 'RITM0010001' }, signers: [], dueDate: '2026-12-31', documents: [],
  }, new Date());
  running.db.prepare("UPDATE requests SET state = 'sent' WHERE id = ?").run(id);
  const signicat = { ...world.config, provider: configSchema.shape.provider.parse({
    type: 'signicat', base_url: 'http://127.0.0.1:9/sign', token_url: 'http://127.0.0.1:9/token', client_id: 'c', client_secret: 's',
    signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }],
  }) };
  expect(await service.reload(() => signicat)).toBe(false);
  expect(service.daemon).toBe(running); // still the daemon it was, nothing stopped
  await service.stop();
  await expect(startService(signicat)).rejects.toMatchObject({
    code: 'provider_switched', message: expect.stringMatching(/^provider is signicat, but requests are still open 1 with secured-signing .*only their own provider can finish them/),
  });
  // Once it is finished (here: cancelled), the switch is taken.
  const db = openDatabase(world.config.storage.data_dir);
  db.prepare("UPDATE requests SET state = 'cancelled' WHERE id = ?").run(id);
  db.close();
  const switched = await startService(signicat);
  await switched.stop();
});
