// The imapflow factory against a real Dovecot (and a TLS server with a self-signed
// certificate): fresh clients, connect failures classified, the password never logged.
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapAccountConfig } from '../../src/config/schema.ts';
import { SignrelayError } from '../../src/errors.ts';
import { connectImapClient, createImapClient, IMAP_MAX_IDLE_TIME_MS } from '../../src/mail/imap-client.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { createSelfSignedCert } from '../support/self-signed-cert.ts';
import { createTestLogger } from '../support/test-logger.ts';

const PASSWORD = 'imap-pass-never-logged-3b9f';
let dovecot: DovecotHandle;
const account = (extra: Partial<ImapAccountConfig> = {}): ImapAccountConfig => ({
  host: '127.0.0.1', port: dovecot.imapPort, tls: false, tls_verify: true, user: 'sign', password: PASSWORD, ...extra,
});

beforeAll(async () => {
  dovecot = await startDovecot({ users: { sign: PASSWORD } });
});
afterAll(async () => dovecot?.stop());

async function failure(promise: Promise<unknown>): Promise<SignrelayError> {
  const error = await promise.then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(SignrelayError);
  return error as SignrelayError;
}

describe('createImapClient', () => {
  it('makes a new client on every call, configured from the account', () => {
    const { logger } = createTestLogger('info');
    const first = createImapClient(account({ tls_verify: false }), logger);
    const second = createImapClient(account(), logger);
    expect(first).not.toBe(second);
    expect(first.options.tls?.rejectUnauthorized).toBe(false);
    expect(second.options.tls?.rejectUnauthorized).toBe(true);
    expect(first.options.maxIdleTime).toBe(IMAP_MAX_IDLE_TIME_MS);
    expect(first.options.auth).toMatchObject({ user: 'sign' });
  });

  it('connects and logs the protocol at debug without the password', async () => {
    const { logger, entries, text } = createTestLogger('debug');
    const client = await connectImapClient(account(), 'requests', logger);
    expect(client.usable).toBe(true);
    await client.logout();
    expect(entries.some((entry) => entry.message === 'imapflow' && entry.level === 'debug')).toBe(true);
    expect(text()).not.toContain(PASSWORD);
  });
});

describe('connectImapClient failures', () => {
  it('a wrong password is an auth error naming the settings, without the password', async () => {
    const { logger, text } = createTestLogger('debug');
    const error = await failure(connectImapClient(account({ password: 'wrong-password-123' }), 'requests', logger));
    expect(error).toMatchObject({ kind: 'auth', code: 'imap_auth_failed' });
    expect(error.message).toContain('mailboxes.requests.user');
    expect(error.message).toContain('mailboxes.requests.password');
    expect(error.message).not.toContain('wrong-password-123');
    expect(text()).not.toContain('wrong-password-123');
  });

  it('nothing listening is transient', async () => {
    const error = await failure(connectImapClient(account({ port: await closedPort() }), 'requests', createTestLogger('info').logger));
    expect(error).toMatchObject({ kind: 'transient', code: 'imap_unavailable' });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('an unverifiable certificate is config naming tls_verify', async () => {
    const { key, cert } = createSelfSignedCert();
    const server = tls.createServer({ key, cert }, (socket) => socket.end('* BYE not a real server\r\n'));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (server.address() as AddressInfo).port;
      const error = await failure(connectImapClient(account({ port, tls: true }), 'requests', createTestLogger('info').logger));
      expect(error).toMatchObject({ kind: 'config', code: 'imap_tls_verify' });
      expect(error.message).toContain('mailboxes.requests.tls_verify');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
