// SMTP TLS verification through the whole daemon: an SMTP server offering STARTTLS with a
// self-signed certificate. With `smtp.tls_verify: true` (the default) the reply is not sent;
// the daemon log and `signrelay status` (the queue's last error) say which setting to change
// and how to trust a private CA instead, and the reply waits — it is not given up. After the
// fix (here `tls_verify: false`) and a restart, it goes out once. That NODE_EXTRA_CA_CERTS
// works is shown in test/mail/smtp-sender.test.ts (Node reads it only at start).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queueSummary } from '../../src/store/status-queries.ts';
import { createSelfSignedCert } from '../support/self-signed-cert.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, startWorld, type World } from '../integration/world.ts';
import { daemonLog, linesWithStackTraces } from './imap-fault-world.ts';

const REQUEST_ID = '<smtp-tls-1@corp.example>';
let world: World;
let tlsSmtp: SmtpSink;

beforeAll(async () => {
  world = await startWorld({ completionMails: false });
  tlsSmtp = await startSmtpSink({ tls: createSelfSignedCert() });
  // tls: false = STARTTLS when offered, which this server does.
  world.config.smtp.port = tlsSmtp.port;
}, 180_000);
afterAll(async () => {
  await world?.close();
  await tlsSmtp?.close();
});

const mailJob = () => world.daemon!.db.prepare("SELECT state, attempts, run_at AS runAt, last_error AS lastError FROM jobs WHERE kind = 'mail'")
  .get() as { state: string; attempts: number; runAt: string; lastError: string };

it('does not send to an unverifiable certificate by default: says what to change, and the reply waits', async () => {
  expect(world.config.smtp.tls_verify).toBe(true);
  world.startDaemon();
  await world.dovecot.deliver('sign@corp.example', await buildMail({ subject: 'Please sign RITM0010002', text: 'no attachment', messageId: REQUEST_ID }));
  const line = await waitFor(() => daemonLog(world).find((e) => e.message === 'the job waits for an operator to fix this'), { timeoutMs: 15_000, what: 'the mail job waiting for a fix' });
  expect(line).toMatchObject({ level: 'error', job: 'mail' });
  expect(line.error).toBe(`The certificate of the SMTP server 127.0.0.1:${tlsSmtp.port} could not be verified ` +
    '(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate). If it comes from your own certificate authority, trust that CA: ' +
    'start signrelay with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; or, only for a server you control, set smtp.tls_verify: false; ' +
    'then restart signrelay. Mail waits until then.');
  expect(Number(line.retryInMs)).toBeGreaterThanOrEqual(5 * 60_000);
  // The request itself is filed; only its reply waits, without using up attempts.
  expect(await world.dovecot.list('sign', 'Rejected')).toHaveLength(1);
  expect(mailJob()).toMatchObject({ state: 'pending', attempts: 0 });
  expect(queueSummary(world.daemon!.db, new Date()).lastError).toContain('smtp.tls_verify: false');
  expect(tlsSmtp.messages).toHaveLength(0);
  expect(linesWithStackTraces(world)).toEqual([]);
  await world.stopDaemon();
});

it('sends the waiting reply once after a restart with tls_verify: false', async () => {
  world.config.smtp.tls_verify = false;
  world.startDaemon();
  // It was due only minutes from now: the restart is what lets it go at once.
  expect(daemonLog(world).find((e) => e.message === 'mail that waited is tried again now')).toMatchObject({ mails: 1 });
  const reply = await tlsSmtp.waitFor((m) => m.parsed?.inReplyTo === REQUEST_ID, 15_000);
  expect(reply.envelope.rcptTo.map((r) => r.address)).toEqual(['helen.officer@corp.example']);
  await waitFor(() => mailJob().state === 'done', { what: 'the mail job done' });
  await world.daemon!.jobs.idle();
  expect(tlsSmtp.messages.filter((m) => m.parsed?.inReplyTo === REQUEST_ID)).toHaveLength(1);
});
