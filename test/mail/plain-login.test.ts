// A login never crosses a network in clear text (mail-server review F4): with `tls: false`
// signrelay upgrades with STARTTLS, and a server that did not offer it — or anyone on the path
// who struck it from the server's answer — got the SMTP and IMAP passwords in clear, with
// tls_verify never asked. STARTTLS is now required for a login unless the server is on this
// host. The rule and the client options it makes are tested as tables (both clients are built
// from mailTlsOptions); what the clients do when it applies, against a real SMTP server and a
// real Dovecot that offer no STARTTLS (asked to require it, as the rule does for another
// host: the test servers listen on loopback only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyImapError } from '../../src/mail/classify-imap-error.ts';
import { createImapClient } from '../../src/mail/imap-client.ts';
import { isLoopbackHost } from '../../src/loopback.ts';
import { mailTlsOptions, mustStartTls } from '../../src/mail/plain-login.ts';
import { createSmtpSender } from '../../src/mail/smtp-sender.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';
import { createTestLogger } from '../support/test-logger.ts';

const PASSWORD = 'mail-password-never-in-clear-9d2f';

describe('whether STARTTLS must come before a login', () => {
  it.each<[string, boolean, boolean]>([
    ['smtp.corp.example', false, true],
    ['10.0.0.25', false, true],
    ['fe80::1', false, true],
    ['127.0.0.1', false, false],
    ['127.0.1.1', false, false],
    ['localhost', false, false],
    ['LOCALHOST.', false, false],
    ['::1', false, false],
    ['[::1]', false, false],
    ['localhost.evil.example', false, true],
    ['127.0.0.1.evil.example', false, true],
    ['smtp.corp.example', true, false],
  ])('%s with tls: %s → %s', (host, tls, required) => {
    expect(mustStartTls({ host, tls })).toBe(required);
    if (!tls) expect(isLoopbackHost(host)).toBe(!required);
  });
});

describe('the TLS options the SMTP and IMAP clients are built with', () => {
  const account = (host: string, tls = false) => ({ host, tls, tls_verify: true });
  it('require STARTTLS for a login to another host, not to this one, not without a login, not with implicit TLS', () => {
    expect(mailTlsOptions(account('smtp.corp.example'), true)).toEqual({ secure: false, rejectUnauthorized: true, startTlsRequired: true });
    expect(mailTlsOptions(account('127.0.0.1'), true)).toMatchObject({ startTlsRequired: false });
    expect(mailTlsOptions(account('smtp.corp.example'), false)).toMatchObject({ startTlsRequired: false });
    expect(mailTlsOptions(account('smtp.corp.example', true), true)).toEqual({ secure: true, rejectUnauthorized: true, startTlsRequired: false });
    expect(mailTlsOptions({ ...account('imap.corp.example'), tls_verify: false }, true)).toEqual({ secure: false, rejectUnauthorized: false, startTlsRequired: true });
    expect(mailTlsOptions(account('127.0.0.1'), true, true)).toMatchObject({ startTlsRequired: true });
  });
});

describe('a server that offers no STARTTLS, when it is required', () => {
  it('SMTP: nothing is sent and no password goes out; the error names the fix', async () => {
    const sink = await startSmtpSink({ auth: { user: 'relay', pass: PASSWORD } });
    const sender = createSmtpSender({ host: '127.0.0.1', port: sink.port, tls: false, tls_verify: true, user: 'relay', password: PASSWORD, from: 'signrelay <sign@corp.example>', auth: { type: 'password' } } as never,
      createTestLogger().logger, { requireStartTls: true });
    try {
      const err = await sender.send({ to: 'helen.officer@corp.example', subject: 's', text: 't' }).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ kind: 'config', code: 'smtp_starttls_missing' });
      expect(String((err as Error).message)).toMatch(/does not offer STARTTLS .*smtp\.tls: true/);
      expect(String((err as Error).message)).not.toContain(PASSWORD);
      expect(sink.messages).toHaveLength(0);
      expect(sink.logins).toEqual([]);
    } finally {
      await sender.close();
      await sink.close();
    }
  });

  let dovecot: DovecotHandle;
  beforeAll(async () => {
    dovecot = await startDovecot({ users: { sign: PASSWORD } });
  });
  afterAll(async () => dovecot?.stop());

  it('IMAP: the login is not sent; the error names the setting', async () => {
    const account = { host: '127.0.0.1', port: dovecot.imapPort, tls: false, tls_verify: true, user: 'sign', password: PASSWORD } as never;
    const plain = createImapClient(account, createTestLogger().logger);
    plain.on('error', () => undefined);
    await plain.connect(); // on this host, plain is allowed
    await plain.logout();
    const client = createImapClient(account, createTestLogger().logger, { requireStartTls: true });
    client.on('error', () => undefined);
    const err = await client.connect().then(() => undefined, (e: unknown) => e);
    client.close();
    const classified = classifyImapError(err, { mailbox: 'requests', host: '127.0.0.1', port: dovecot.imapPort, user: 'sign' });
    expect(classified).toMatchObject({ kind: 'config', code: 'imap_starttls_missing' });
    expect(classified.message).toMatch(/does not offer STARTTLS.*mailboxes\.requests\.tls: true/);
  });
});
