// Jobs that wait for an operator's fix (here: ServiceNow refusing a wrong password) are tried
// when the daemon starts again on the fixed settings — a restart or reload is how the fix
// arrives — instead of at their backoff time, 5 to 30 minutes later: one of each kind at
// once, the rest of its kind when that one succeeds (test/store/jobs-waiting.test.ts).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildMail, contractPdf, startWorld, type World } from '../integration/world.ts';
import { waitFor } from '../support/wait-for.ts';
import { daemonLog, linesWithStackTraces } from './imap-fault-world.ts';

let world: World;

beforeAll(async () => {
  world = await startWorld({ completionMails: false });
}, 180_000);
afterAll(async () => {
  await world?.close();
});

const waitingJobs = () => world.daemon!.db.prepare("SELECT kind, run_at AS runAt, waiting_for AS waitingFor FROM jobs WHERE state = 'pending' AND waiting_for IS NOT NULL")
  .all() as Array<{ kind: string; runAt: string; waitingFor: string }>;

it('a job waiting for a fixed password runs at once when the daemon starts again, not at its backoff time', async () => {
  const auth = world.config.servicenow.auth as { password: string };
  const right = auth.password;
  auth.password = 'wrong-servicenow-password-3c1';
  world.startDaemon();
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: 'Contract RITM0010001', text: 'Signer: Ann Lee <ann.lee@example.com>\n', attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  const line = await waitFor(() => daemonLog(world).find((e) => e.message === 'the job waits for an operator to fix this'), { timeoutMs: 30_000, what: 'a job waiting for the password' });
  expect(Number(line.retryInMs)).toBeGreaterThanOrEqual(5 * 60_000);
  const waiting = waitingJobs();
  expect(waiting.length).toBeGreaterThan(0);
  expect(waiting.every((j) => j.waitingFor === 'operator' && Date.parse(j.runAt) > Date.now() + 60_000)).toBe(true);
  await world.stopDaemon();

  auth.password = right;
  world.startDaemon();
  const kinds = new Set(waiting.map((j) => j.kind)).size;
  expect(daemonLog(world).find((e) => e.message === 'jobs that waited for a fix are tried again now')).toMatchObject({ jobs: kinds });
  await waitFor(() => (waitingJobs().length === 0 ? true : undefined), { timeoutMs: 30_000, what: 'the waiting jobs to run' });
  const done = world.daemon!.db.prepare("SELECT count(*) AS n FROM jobs WHERE kind = ? AND state = 'done'").get(waiting[0]!.kind) as { n: number };
  expect(done.n).toBeGreaterThan(0);
  expect(linesWithStackTraces(world)).toEqual([]);
  await world.stopDaemon();
});
