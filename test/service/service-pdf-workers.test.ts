// The running service (`signrelay run`) and its PDF workers: a reload stops the daemon and
// starts one on the new configuration, and the new daemon takes the warm worker as it is —
// the same process, parsers loaded, nothing started again. The service's own stop ends it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { endIdlePdfWorkers, pdfPoolStatus } from '../../src/pdf/pdf-pool.ts';
import { startService } from '../../src/service/running-service.ts';
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
