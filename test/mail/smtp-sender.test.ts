// The SMTP sender against real SMTP servers (smtp-server): delivery, and every failure
// class coming from a genuine SMTP answer or socket error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { SmtpConfig } from '../../src/config/schema.ts';
import { SignrelayError } from '../../src/errors.ts';
import { createSmtpSender, type SmtpSender } from '../../src/mail/smtp-sender.ts';
import { runNodeScript } from '../support/node-script.ts';
import { createSelfSignedCert } from '../support/self-signed-cert.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { createTestLogger } from '../support/test-logger.ts';

const PASSWORD = 'smtp-pass-never-logged-5d1e';
const smtpConfig = (port: number, extra: Partial<SmtpConfig> = {}): SmtpConfig => ({
  host: '127.0.0.1', port, tls: false, tls_verify: true, from: 'signrelay <sign@corp.example>', ...extra,
});
const reply = { to: 'helen.officer@corp.example', subject: 'Your request', text: 'Signed.' };

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function track(sender: SmtpSender): SmtpSender {
  cleanup.push(() => sender.close());
  return sender;
}
async function sink(options?: Parameters<typeof startSmtpSink>[0]): Promise<SmtpSink> {
  const started = await startSmtpSink(options);
  cleanup.push(() => started.close());
  return started;
}
async function failure(promise: Promise<unknown>): Promise<SignrelayError> {
  const error = await promise.then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(SignrelayError);
  return error as SignrelayError;
}

describe('createSmtpSender', () => {
  it('sends through the pool with the configured From and reports the recipients', async () => {
    const server = await sink();
    const sender = track(createSmtpSender(smtpConfig(server.port), createTestLogger().logger));
    await sender.verify();
    const first = await sender.send({ ...reply, messageId: '<reply-1@corp.example>' });
    const second = await sender.send({ ...reply, to: 'ann.lee@example.com' });
    expect(first).toMatchObject({ messageId: '<reply-1@corp.example>', accepted: ['helen.officer@corp.example'], rejected: [] });
    expect(second.accepted).toEqual(['ann.lee@example.com']);
    const received = await server.waitFor(2, 2_000);
    expect(received.envelope.rcptTo.map((r) => r.address)).toEqual(['ann.lee@example.com']);
    expect(server.messages[0]!.envelope.mailFrom).toMatchObject({ address: 'sign@corp.example' });
    expect(server.messages[0]!.parsed?.subject).toBe('Your request');
  });

  it('with smtp.user set, against a server that offers no login: says so, naming the port and the fix — never sends without the login', async () => {
    const server = await sink();
    const sender = track(createSmtpSender(smtpConfig(server.port, { user: 'sign@corp.example', password: PASSWORD }), createTestLogger().logger));
    const err = await failure(sender.verify());
    expect([err.kind, err.code]).toEqual(['config', 'smtp_no_login']);
    expect(err.message).toMatch(new RegExp(`^The SMTP server 127\\.0\\.0\\.1:${server.port} offers no login on port ${server.port} \\(50\\d[^)]*\\), though smtp\\.user is set: use the mail service's submission port \\(587, or 465 with smtp\\.tls: true\\), or remove smtp\\.user`));
    expect((await failure(sender.send(reply))).code).toBe('smtp_no_login');
    expect(server.messages).toHaveLength(0);
  });

  it('classifies a refused recipient as permanent and keeps partial refusals in the result', async () => {
    const server = await sink({ refuseRecipient: (address) => (address.startsWith('gone') ? { code: 550, message: 'No such user here' } : undefined) });
    const sender = track(createSmtpSender(smtpConfig(server.port), createTestLogger().logger));
    const error = await failure(sender.send({ ...reply, to: 'gone@corp.example' }));
    expect(error).toMatchObject({ kind: 'permanent', code: 'smtp_rejected' });
    expect(error.message).toContain('550 No such user here');
    const partial = await sender.send({ ...reply, to: ['gone@corp.example', 'helen.officer@corp.example'] });
    expect(partial).toMatchObject({ accepted: ['helen.officer@corp.example'], rejected: ['gone@corp.example'] });
  });

  it('classifies a 4xx recipient answer as transient', async () => {
    const server = await sink({ refuseRecipient: () => ({ code: 451, message: 'Greylisted, try later' }) });
    const sender = track(createSmtpSender(smtpConfig(server.port), createTestLogger().logger));
    expect(await failure(sender.send(reply))).toMatchObject({ kind: 'transient', code: 'smtp_deferred' });
  });

  // Mail-server review F1: nodemailer reports any answer to the final dot as EMESSAGE, and a
  // temporary 451 there was taken for "the mail could not be built" and given up at once.
  it('classifies a 4xx after the final dot as transient, a try-again-later, not a mail that cannot be built', async () => {
    let busy = 1;
    const server = await sink({ refuseMessage: () => (busy-- > 0 ? { code: 451, message: '4.3.0 Error: queue file write error' } : undefined) });
    const sender = track(createSmtpSender(smtpConfig(server.port), createTestLogger().logger));
    const error = await failure(sender.send(reply));
    expect(error).toMatchObject({ kind: 'transient', code: 'smtp_deferred', outcomeUnknown: false });
    expect(error.message).toMatch(/asked to try again later \(451 4\.3\.0 Error: queue file write error\)/);
    await sender.send(reply);
    expect(server.messages).toHaveLength(1);
  });

  // F3: a server that is up but not taking mail (421 at its greeting, 4xx before any recipient)
  // is the SMTP server unavailable — mail waits for it uncounted, as for one that is down.
  it.each<[string, Parameters<typeof sink>[0]]>([
    ['421 at the greeting', { refuseConnection: () => ({ code: 421, message: '4.3.2 Service not available' }) }],
    ['452 at MAIL FROM', { refuseSender: () => ({ code: 452, message: '4.3.1 Insufficient system storage' }) }],
  ])('classifies a server not taking mail now (%s) as unavailable, nothing sent', async (_name, options) => {
    const server = await sink(options);
    const sender = track(createSmtpSender(smtpConfig(server.port), createTestLogger().logger));
    const error = await failure(sender.send(reply));
    expect(error).toMatchObject({ kind: 'transient', code: 'smtp_unavailable', outcomeUnknown: false });
    expect(error.message).toMatch(/is not taking mail now \(4\d\d /);
  });

  // F2: the relay refusing signrelay's sender address is a setting to fix, not a mail to give up.
  it.each<[string, Parameters<typeof sink>[0], RegExp]>([
    ['553 at MAIL FROM', { refuseSender: () => ({ code: 553, message: '5.7.1 <sign@corp.example>: Sender address rejected: not owned by user signrelay' }) }, /553 5\.7\.1/],
    ['Exchange\'s SendAsDenied after the message', { refuseMessage: () => ({ code: 554, message: '5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied' }) }, /SendAsDenied/],
  ])('classifies the sender address refused (%s) as a setting to fix, naming smtp.from', async (_name, options, said) => {
    const server = await sink(options);
    const sender = track(createSmtpSender(smtpConfig(server.port), createTestLogger().logger));
    const error = await failure(sender.send(reply));
    expect(error).toMatchObject({ kind: 'config', code: 'smtp_sender_refused' });
    expect(error.message).toMatch(said);
    expect(error.message).toMatch(/refused signrelay's sender address .*smtp\.from/);
  });

  it('classifies a server that refuses this host at its greeting (554) as a setting to fix, not a mail to give up', async () => {
    const server = await sink({ refuseConnection: () => ({ code: 554, message: '5.7.1 Client host rejected: Access denied' }) });
    const sender = track(createSmtpSender(smtpConfig(server.port), createTestLogger().logger));
    const error = await failure(sender.send(reply));
    expect(error).toMatchObject({ kind: 'config', code: 'smtp_refused_connection' });
    expect(error.message).toMatch(/refuses signrelay's connection \(554 5\.7\.1 Client host rejected: Access denied\): check smtp\.host and smtp\.port/);
  });

  it('classifies a server that is down as transient', async () => {
    const server = await startSmtpSink();
    const port = server.port;
    await server.close();
    const sender = track(createSmtpSender(smtpConfig(port), createTestLogger().logger, { connectionTimeoutMs: 2_000 }));
    const error = await failure(sender.send(reply));
    expect(error).toMatchObject({ kind: 'transient', code: 'smtp_unavailable', outcomeUnknown: false });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('tells a connection that ended after the message went from a server never reached: the outcome is unknown', async () => {
    // Takes the message to its last line, then hangs up without an answer.
    let taken = 0;
    const server = createServer((socket) => {
      let data = false;
      let buffered = '';
      socket.on('error', () => {});
      socket.write('220 test ESMTP\r\n');
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        for (;;) {
          if (data) {
            const end = buffered.indexOf('\r\n.\r\n');
            if (end < 0) return;
            taken++;
            socket.destroy();
            return;
          }
          const eol = buffered.indexOf('\r\n');
          if (eol < 0) return;
          const verb = buffered.slice(0, 4).toUpperCase();
          buffered = buffered.slice(eol + 2);
          if (verb === 'DATA') {
            data = true;
            socket.write('354 go ahead\r\n');
          } else {
            socket.write(verb === 'EHLO' ? '250-test\r\n250 8BITMIME\r\n' : '250 OK\r\n');
          }
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const sender = track(createSmtpSender(smtpConfig((server.address() as AddressInfo).port), createTestLogger().logger));
    const error = await failure(sender.send(reply));
    expect(error).toMatchObject({ kind: 'transient', code: 'smtp_dropped', outcomeUnknown: true });
    expect(error.message).toContain('may have gone out');
    expect(taken).toBe(1);
  });

  it('tells a server that hangs up before its greeting (a load balancer without a backend) as never reached: nothing went out', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.on('error', () => {});
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const sender = track(createSmtpSender(smtpConfig((server.address() as AddressInfo).port), createTestLogger().logger));
    const error = await failure(sender.send(reply));
    expect(error).toMatchObject({ kind: 'transient', code: 'smtp_unavailable', outcomeUnknown: false });
    expect(connections).toBeGreaterThan(1); // the pool tried new connections, as it does only for a message not handed over
  });

  it('classifies a refused login (535) as auth without repeating the password anywhere', async () => {
    const server = await sink({ auth: { user: 'relay', pass: 'the-right-one' } });
    const { logger, text } = createTestLogger('debug');
    const sender = track(createSmtpSender(smtpConfig(server.port, { user: 'relay', password: PASSWORD }), logger));
    const error = await failure(sender.send(reply));
    expect(error).toMatchObject({ kind: 'auth', code: 'smtp_auth_failed' });
    expect(error.message).toContain('smtp.password');
    expect(error.message).not.toContain(PASSWORD);
    expect(text()).not.toContain(PASSWORD);
    await expect(sender.verify()).rejects.toMatchObject({ kind: 'auth' });
  });

  it('classifies an unverifiable certificate as config naming tls_verify, and sends with tls_verify: false', async () => {
    const { key, cert } = createSelfSignedCert();
    const server = new SMTPServer({ secure: true, key, cert, authOptional: true, logger: false, onData(stream, _session, done) {
      stream.resume();
      stream.on('end', () => done());
    } });
    server.on('error', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
    const port = (server.server.address() as AddressInfo).port;
    const strict = track(createSmtpSender(smtpConfig(port, { tls: true }), createTestLogger().logger));
    const error = await failure(strict.send(reply));
    expect(error).toMatchObject({ kind: 'config', code: 'smtp_tls_verify' });
    expect(error.message).toContain('smtp.tls_verify');
    const relaxed = track(createSmtpSender(smtpConfig(port, { tls: true, tls_verify: false }), createTestLogger().logger));
    expect((await relaxed.send(reply)).accepted).toEqual(['helen.officer@corp.example']);
  });

  it('verifies the certificate after STARTTLS too (tls: false upgrades when offered)', async () => {
    const server = await sink({ tls: createSelfSignedCert() });
    const strict = track(createSmtpSender(smtpConfig(server.port), createTestLogger().logger));
    const error = await failure(strict.send(reply));
    expect(error).toMatchObject({ kind: 'config', code: 'smtp_tls_verify' });
    expect(error.message).toContain('NODE_EXTRA_CA_CERTS');
    expect(server.messages).toHaveLength(0);
    const relaxed = track(createSmtpSender(smtpConfig(server.port, { tls_verify: false }), createTestLogger().logger));
    await relaxed.send(reply);
    expect(server.messages).toHaveLength(1);
  });

  it('trusts a private CA given in NODE_EXTRA_CA_CERTS, with tls_verify left on', async () => {
    const cert = createSelfSignedCert('smtp.test', '127.0.0.1');
    const server = await sink({ tls: cert });
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-ca-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'ca.pem'), cert.cert);
    // The sender the daemon uses, in a fresh Node: it reads the variable only at its start.
    const script = `
      import { createSmtpSender } from './src/mail/smtp-sender.ts';
      import { silentLogger } from './src/log.ts';
      const sender = createSmtpSender(${JSON.stringify(smtpConfig(server.port))}, silentLogger());
      try {
        await sender.send(${JSON.stringify(reply)});
        console.log('sent');
      } catch (err) {
        console.log(err.code);
      } finally {
        await sender.close();
      }`;
    const { NODE_EXTRA_CA_CERTS: _unset, ...env } = process.env;
    expect(await runNodeScript(script, { env })).toBe('smtp_tls_verify');
    expect(await runNodeScript(script, { env: { ...env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') } })).toBe('sent');
    expect(server.messages).toHaveLength(1);
  });
});
