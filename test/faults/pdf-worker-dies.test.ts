// Our own failure while stamping is retried, never refused: the PDF worker dies under a
// request's task (killed: an OOM killer, an operator). The mail is deferred with the
// worker's death as its reason — one attempt counted, at the higher limit of a process killed (20), no reply to the requester
// — and handled on its next attempt by a fresh worker: one request, one upload, one send.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pdfPoolStatus } from '../../src/pdf/pdf-pool.ts';
import { listRequests } from '../../src/store/requests.ts';
import { childPids } from '../support/child-pids.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf, startWorld, type World } from '../integration/world.ts';
import { daemonLog } from './imap-fault-world.ts';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  // A deferred mail is due again after 0.2–1 s here, not 30 s.
  world.startDaemon({ messageRetry: { minDelayMs: 200, maxDelayMs: 1_000 } });
}, 60_000);
afterAll(async () => world?.close());

/** This process's PDF workers (pdf-pool.ts forks them). */
function pdfWorkers(): number[] {
  return childPids(process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pdf-worker');
    } catch {
      return false;
    }
  });
}

it('defers a request whose PDF worker died under its task, and handles it once on the next attempt', async () => {
  await waitFor(() => pdfPoolStatus().idle >= 1, { what: 'a warm PDF worker' });
  // The ready workers are stopped, so the request's task waits in one of them until it is killed.
  const stopped = pdfWorkers();
  for (const pid of stopped) process.kill(pid, 'SIGSTOP');
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: 'RITM0010003 contract', text: 'Signer: Ann Lee <ann.lee@example.com>', messageId: '<worker-dies@corp.example>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  await waitFor(() => pdfPoolStatus().busy === 1, { what: 'the request\'s task in a stopped worker' });
  for (const pid of stopped) process.kill(pid, 'SIGKILL');

  const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0010003'),
    { what: 'the request sent on its next attempt' });
  expect(listRequests(world.daemon!.db)).toEqual([expect.objectContaining({ id: request.id })]);
  const deferred = daemonLog(world).filter((line) => line.message === 'mail deferred');
  expect(deferred).toEqual([expect.objectContaining({ attempts: 1, reason: expect.stringMatching(/the PDF worker stopped \(signal SIGKILL\) before it answered/) })]);
  const attempts = world.daemon!.db.prepare("SELECT attempts, last_error_kind FROM message_attempts WHERE mailbox = 'requests'").all();
  expect(attempts).toEqual([{ attempts: 2, last_error_kind: 'killed' }]); // counted, at the higher limit
  expect(world.simulator.calls.filter((c: { path: string; status: number }) => c.path.includes('/Document/Uploader/') && c.status === 200)).toHaveLength(1);
  expect(world.simulator.calls.filter((c: { path: string; status: number }) => c.path.endsWith('/SmartTag/Send') && c.status === 200)).toHaveLength(1);
  // No reply: the requester did nothing wrong (the acknowledgement of the request is the only mail to them).
  expect(world.smtp.messages.filter((m: { envelope: { rcptTo: Array<{ address: string }> } }) => m.envelope.rcptTo.some((r) => r.address === 'helen.officer@corp.example'))
    .map((m: { raw: string | Buffer }) => /^Subject: (.*)$/m.exec(m.raw.toString())?.[1])).not.toContainEqual(expect.stringMatching(/could not|not accepted|refused/i));
});
