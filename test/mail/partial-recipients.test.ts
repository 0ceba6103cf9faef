// A mail the SMTP server takes for some recipients and refuses for others (mail-server review
// F5): recorded as sent to all and said only in a debug line, and a refusal for now (a full
// mailbox) never tried again — one of two operators never got the alert. Now the refusal is
// a warning with the server's words, the audit line names the refused, and a recipient
// refused for now gets the same message (same Message-ID) by a job of its own.
import { afterEach, expect, it } from 'vitest';
import { startJobRunner, type JobRunner } from '../../src/jobs/job-runner.ts';
import { createMailHandler, enqueueMail } from '../../src/jobs/send-mail.ts';
import { createSmtpSender, type SmtpSender } from '../../src/mail/smtp-sender.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { createTestLogger } from '../support/test-logger.ts';

let sink: SmtpSink | undefined;
let sender: SmtpSender | undefined;
let runner: JobRunner | undefined;
afterEach(async () => {
  await runner?.stop();
  await sender?.close();
  await sink?.close();
});

it('warns of recipients refused while others took the mail, records them, and sends again to those refused for now', async () => {
  let full = 1;
  sink = await startSmtpSink({
    refuseRecipient: (address) => (address === 'gone@corp.example' ? { code: 550, message: '5.1.1 User unknown' }
      : address === 'full@corp.example' && full-- > 0 ? { code: 452, message: '4.2.2 Mailbox full, try again later' } : undefined),
  });
  const db = openMemoryDatabase();
  const log = createTestLogger('debug');
  sender = createSmtpSender({ host: '127.0.0.1', port: sink.port, tls: false, tls_verify: true, from: 'signrelay <sign@corp.example>', auth: { type: 'password' } } as never, log.logger);
  runner = startJobRunner({ db, logger: log.logger, retryBaseMs: 10, handlers: { mail: createMailHandler({ db, smtp: sender, logger: log.logger }) } });
  enqueueMail(db, { requestId: null, purpose: 'alert', message: { to: ['ops@corp.example', 'full@corp.example', 'gone@corp.example'], subject: 'alert', text: 'something happened' } }, new Date());
  runner.poke();
  await sink.waitFor(2);
  const [first, second] = sink.messages;
  expect(first!.envelope.rcptTo.map((r) => r.address)).toEqual(['ops@corp.example']);
  expect(second!.envelope.rcptTo.map((r) => r.address)).toEqual(['full@corp.example']);
  // The same message: one Message-ID.
  expect(second!.parsed!.messageId).toBe(first!.parsed!.messageId);
  const warning = log.entries.find((e) => e.message === 'mail sent, but the SMTP server refused some of its recipients');
  expect(warning).toMatchObject({ level: 'warn', refused: ['full@corp.example: 452 4.2.2 Mailbox full, try again later', 'gone@corp.example: 550 5.1.1 User unknown'] });
  const sent = (db.prepare("SELECT detail FROM events WHERE kind = 'mail' ORDER BY id").all() as Array<{ detail: string }>).map((e) => JSON.parse(e.detail) as Record<string, unknown>);
  expect(sent[0]).toMatchObject({ sent: 'alert', refused: ['full@corp.example', 'gone@corp.example'] });
  // The one refused for good is not tried again.
  await expect.poll(() => db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE state = 'pending'").get()).toEqual({ n: 0 });
  expect(sink.messages).toHaveLength(2);
});

it('queues the resend to a recipient refused for now even when the audit line cannot be written', async () => {
  sink = await startSmtpSink({ refuseRecipient: (address) => (address === 'full@corp.example' ? { code: 452, message: '4.2.2 Mailbox full, try again later' } : undefined) });
  const db = openMemoryDatabase();
  // The database refuses the audit line, as a full disk would.
  db.exec("CREATE TRIGGER no_mail_events BEFORE INSERT ON events WHEN NEW.kind = 'mail' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
  const log = createTestLogger('debug');
  sender = createSmtpSender({ host: '127.0.0.1', port: sink.port, tls: false, tls_verify: true, from: 'signrelay <sign@corp.example>', auth: { type: 'password' } } as never, log.logger);
  const handler = createMailHandler({ db, smtp: sender, logger: log.logger });
  await handler.run({ id: 1, kind: 'mail', requestId: null, payload: { purpose: 'alert', message: { to: ['ops@corp.example', 'full@corp.example'], subject: 'alert', text: 'x', messageId: '<m1@corp.example>' } } } as never);
  const queued = db.prepare("SELECT payload FROM jobs WHERE kind = 'mail'").all() as Array<{ payload: string }>;
  expect(queued.map((j) => (JSON.parse(j.payload) as { message: { to: string[]; messageId: string } }).message)).toMatchObject([{ to: ['full@corp.example'], messageId: '<m1@corp.example>' }]);
  expect(log.entries.map((e) => e.message)).toContain('mail sent, but its audit line could not be written');
});
