// The running service (`signrelay run`) across a reload, which stops the daemon and starts
// one on the new configuration: the new daemon takes the warm PDF worker as it is — the same
// process, parsers loaded, nothing started again — and the data dir's lock is held throughout,
// so no second signrelay can start between the two daemons. The service's own stop ends both.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { endIdlePdfWorkers, pdfPoolStatus } from '../../src/pdf/pdf-pool.ts';
import { isSignrelayError } from '../../src/errors.ts';
import { startService } from '../../src/service/running-service.ts';
import { lockDataDir } from '../../src/store/data-dir-lock.ts';
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
