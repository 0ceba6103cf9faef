// Dovecot restarted while mail is being delivered: the watcher reconnects with a new
// client, catches up, and every request is handled exactly once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listRequests } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf, startWorld, type World } from './world.ts';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  world.startDaemon();
}, 60_000);
afterAll(async () => world?.close());

it('loses nothing and does nothing twice across a Dovecot restart', async () => {
  const pdf = await contractPdf();
  const mail = (n: number) => buildMail({
    subject: `RITM00100${String(n).padStart(2, '0')} contract`, text: `Signer: Ann Lee <ann.lee${n}@example.com>`,
    attachments: [{ filename: `contract-${n}.pdf`, content: pdf }], messageId: `<restart-${n}@corp.example>`,
  });
  const total = 12;
  for (let n = 1; n <= total; n++) {
    if (n === 5) await world.dovecot.restart();
    await world.dovecot.deliver('sign@corp.example', await mail(n));
  }
  await waitFor(() => listRequests(world.daemon!.db, { state: 'sent' }).length === total, { timeoutMs: 60_000, what: `${total} requests sent` });
  expect(listRequests(world.daemon!.db)).toHaveLength(total);
  const sends = world.simulator.calls.filter((c: { path: string; status: number }) => c.path.endsWith('/SmartTag/Send') && c.status === 200);
  expect(sends).toHaveLength(total);
  await waitFor(async () => (await world.dovecot.list('sign', 'Processed')).length === total, { timeoutMs: 10_000, what: 'all mail in Processed' });
  expect(await world.dovecot.list('sign', 'INBOX')).toHaveLength(0);
  expect(world.daemon!.requestWatcher.status().reconnects).toBeGreaterThanOrEqual(1);
}, 90_000);
