// A request mail the daemon gave up on (with-attempt-limit) is filed in Rejected with an
// `unprocessable` alert whose subject names its sender — a held-back summary lists alerts by
// subject alone, and thirty identical lines hid the one that mattered — quoted on one
// bounded line, as any outside text in a mail to the operators.
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { fileUnprocessableRequestMail, type RequestIntakeDeps } from '../../src/intake/process-request-mail.ts';
import { silentLogger } from '../../src/log.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { watched } from '../conversation/sent-request.ts';

const base = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
const config = { ...base, alerts: { ...base.alerts, to: ['ops@corp.example'] } };

describe('a request mail given up on', () => {
  it('is filed in Rejected with an alert naming its sender, on one bounded line', () => {
    const db = openMemoryDatabase();
    const deps = { db, config, logger: silentLogger(), now: () => new Date('2026-12-05T10:00:00Z') } as unknown as RequestIntakeDeps;
    const message = { ...watched(Buffer.from('x'), 4), envelopeFrom: `helen.officer@corp.example\r\nBcc: x${'y'.repeat(500)}`, messageId: '<m1@corp.example>' };
    expect(fileUnprocessableRequestMail(deps, message, 'it could not be processed in 5 attempts (boom)')).toEqual({ moveTo: config.mailboxes.requests.rejected_folder });
    const mail = JSON.parse((db.prepare("SELECT payload FROM jobs WHERE kind = 'mail'").get() as { payload: string }).payload).message as { subject: string; text: string };
    expect(mail.subject).toMatch(/^\[signrelay\] a request mail from helen\.officer@corp\.example Bcc: xy+… could not be processed$/);
    expect(mail.subject.length).toBeLessThan(160);
    expect(mail.text).toContain('Message-ID <m1@corp.example>) was moved to Rejected without a reply: it could not be processed in 5 attempts (boom).');
    expect(mail.text).toContain(`Once the cause is fixed, moving it back into ${config.mailboxes.requests.folder} has it read again as a request.`); // given-up-mail-again.test.ts
  });

  it('says "an unknown sender" when the envelope names none', () => {
    const db = openMemoryDatabase();
    const deps = { db, config, logger: silentLogger(), now: () => new Date('2026-12-05T10:00:00Z') } as unknown as RequestIntakeDeps;
    fileUnprocessableRequestMail(deps, watched(Buffer.from('x'), 5), 'boom');
    const mail = JSON.parse((db.prepare("SELECT payload FROM jobs WHERE kind = 'mail'").get() as { payload: string }).payload).message as { subject: string };
    expect(mail.subject).toBe('[signrelay] a request mail from an unknown sender could not be processed');
  });
});
