// The SMTP server is down when a reply is due, through the whole daemon: the rejected request
// is filed with its outcome committed and the reply queued as a durable job; the job waits
// (one clear log line per try, naming host:port and the settings, backing off, no stack) —
// also across a restart of the daemon — and the reply goes out exactly once when the server
// is back.
import { expect, it } from 'vitest';
import { findMessageById } from '../../src/store/messages.ts';
import type { LogEntry } from '../support/test-logger.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, useWorld, type World } from '../integration/world.ts';
import { daemonLog, linesWithStackTraces } from './imap-fault-world.ts';

const getWorld = useWorld({ completionMails: false });
const REQUEST_ID = '<smtp-down-1@corp.example>';
const WAITING = 'the job waits for a service it needs';

interface MailJob { id: number; state: string; attempts: number; lastError: string | null }
const mailJobs = (world: World) => world.daemon!.db
  .prepare("SELECT id, state, attempts, last_error AS lastError FROM jobs WHERE kind = 'mail'").all() as MailJob[];
const waits = (world: World): LogEntry[] => daemonLog(world).filter((e) => e.message === WAITING && e.job === 'mail');
const repliesTo = (world: World, messageId: string) => world.smtp.messages.filter((m) => m.parsed?.inReplyTo === messageId);

it('queues the reply, waits for the server with backoff (also across a restart), then sends it once', async () => {
  const world = getWorld();
  await world.smtp.stop();
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: 'Please sign RITM0010001', text: 'Signer: Ann Lee <ann.lee@example.com>', messageId: REQUEST_ID,
  }));

  // Filed at once, outcome committed, the reply a durable job: nothing waits on SMTP here.
  await waitUntil(world.daemon!.events, async () => (await world.dovecot.list('sign', 'Rejected')).length === 1, { timeoutMs: 15_000, what: 'the request in Rejected' });
  expect(await world.dovecot.list('sign', 'INBOX')).toHaveLength(0);
  expect(findMessageById(world.daemon!.db, 'requests', REQUEST_ID)).toMatchObject({ outcome: 'rejected', folder: 'Rejected' });
  await waitFor(() => waits(world).length >= 3, { timeoutMs: 10_000, what: 'three tries of the reply', describe: () => mailJobs(world) });
  const [job] = mailJobs(world);
  expect(job).toMatchObject({ state: 'pending', attempts: 0 });
  expect(job!.lastError).toContain(`The SMTP server 127.0.0.1:${world.smtp.port} could not be reached`);

  // A restart while the server is still down: the job is picked up from disk, and waits again.
  const beforeRestart = waits(world).length;
  await world.stopDaemon();
  world.startDaemon();
  await waitFor(() => waits(world).length > beforeRestart, { timeoutMs: 10_000, what: 'a try after the restart' });
  expect(mailJobs(world)).toMatchObject([{ state: 'pending', attempts: 0 }]);

  const lines = waits(world);
  for (const line of lines) {
    expect(line).toMatchObject({ level: 'warn', job: 'mail' });
    expect(line.error).toContain(`127.0.0.1:${world.smtp.port}`);
    expect(line.error).toContain('check that the server is running, and smtp.host and smtp.port');
  }
  // Backing off: each try comes no sooner than the time the one before announced (its
  // line is written after the try, so its timestamp is at or after that time), and the
  // delays grow (a hot loop would log hundreds of lines here).
  const firstRun = lines.slice(0, beforeRestart);
  for (let i = 1; i < firstRun.length; i++) {
    expect(Date.parse(String(firstRun[i]!.timestamp))).toBeGreaterThanOrEqual(Date.parse(String(firstRun[i - 1]!.retryAt)));
  }
  expect(Number(lines.at(-1)!.retryInMs)).toBeGreaterThan(Number(lines[0]!.retryInMs));
  expect(linesWithStackTraces(world)).toEqual([]);

  await world.smtp.start();
  await world.smtp.waitFor((m) => m.parsed?.inReplyTo === REQUEST_ID, 15_000);
  await waitUntil(world.daemon!.events, () => mailJobs(world)[0]?.state === 'done', { what: 'the mail job done' });
  await world.daemon!.jobs.idle();
  expect(repliesTo(world, REQUEST_ID)).toHaveLength(1);
  expect(mailJobs(world)).toHaveLength(1);
  expect(repliesTo(world, REQUEST_ID)[0]!.envelope.rcptTo.map((r) => r.address)).toEqual(['helen.officer@corp.example']);
});
