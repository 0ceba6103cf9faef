// A server "on this host" gets a login without STARTTLS, and the unauthenticated /healthz
// listens on this host only — so "this host" must be where the connection goes, not what the
// host setting is called (ipv6 review H1, M1). A name under `localhost` is taken as 127.0.0.1
// and never looked up: nodemailer asked the DNS servers about `localhost` before the hosts
// file, and `localhost.` or `mail.localhost` are in no hosts file, so whoever answered the
// DNS question got the SMTP or IMAP password in clear text. Against a real SMTP server and
// a real Dovecot on 127.0.0.1, and a DNS server on loopback that lies.
import dgram from 'node:dgram';
import dns from 'node:dns';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../src/config/listen-address.ts';
import { certificateName, hostAndPort, isLoopbackHost, loopbackAddress } from '../../src/loopback.ts';
import { classifyImapError } from '../../src/mail/classify-imap-error.ts';
import { createImapClient } from '../../src/mail/imap-client.ts';
import { createSmtpSender } from '../../src/mail/smtp-sender.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';
import { createTestLogger } from '../support/test-logger.ts';

const PASSWORD = 'mail-password-never-in-clear-51ab';
/** TEST-NET-1: where a lying resolver sends the client; nothing answers there. */
const ELSEWHERE = '192.0.2.99';

describe('the address a host is connected to', () => {
  it.each([
    ['localhost', '127.0.0.1', 'localhost'],
    ['LOCALHOST.', '127.0.0.1', 'localhost'],
    ['mail.localhost', '127.0.0.1', 'mail.localhost'],
    ['[::1]', '::1', undefined],
    ['::1', '::1', undefined],
    ['127.0.0.1', '127.0.0.1', undefined],
    ['imap.corp.example', 'imap.corp.example', undefined],
    ['localhost.evil.example', 'localhost.evil.example', undefined],
  ])('%s → %s (certificate checked for %s)', (host, address, name) => {
    expect(loopbackAddress(host)).toBe(address);
    expect(certificateName(host)).toBe(name);
  });

  it('every spelling of ::1 and of an IPv4-mapped 127.x is loopback; other addresses are not', () => {
    for (const host of ['0:0:0:0:0:0:0:1', '[::1]', '::ffff:127.0.0.1', '::ffff:7f00:1', '[::FFFF:127.1.2.3]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['::2', '::ffff:10.0.0.1', 'fe80::1', '::']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('messages write an IPv6 server in brackets, so its port can be told apart', () => {
    expect(hostAndPort('::1', 143)).toBe('[::1]:143');
    expect(hostAndPort('[2001:db8::5]', 993)).toBe('[2001:db8::5]:993');
    expect(hostAndPort('imap.corp.example', 993)).toBe('imap.corp.example:993');
  });

  it('observability.listen binds a localhost name to 127.0.0.1, and says how to write an IPv6 address', () => {
    expect(parseListenAddress('localhost.:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('[0:0:0:0:0:0:0:1]:9464')).toEqual({ host: '0:0:0:0:0:0:0:1', port: 9464 });
    expect(parseListenAddress('::1:9464')).toEqual({ problem: expect.stringContaining('an IPv6 address goes in brackets: [::1]:9464') });
  });
});

/** A DNS server on loopback that answers every A question with ELSEWHERE, and keeps the questions. */
async function startLyingDns() {
  const questions: string[] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, peer) => {
    let at = 12;
    const labels: string[] = [];
    while (msg[at]! !== 0) {
      labels.push(msg.subarray(at + 1, at + 1 + msg[at]!).toString());
      at += msg[at]! + 1;
    }
    const type = msg.readUInt16BE(at + 1);
    questions.push(`${labels.join('.')}/${type === 1 ? 'A' : type === 28 ? 'AAAA' : type}`);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(type === 1 ? 1 : 0, 6);
    const answer = type === 1 ? Buffer.concat([Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]), Buffer.from(ELSEWHERE.split('.').map(Number))]) : Buffer.alloc(0);
    socket.send(Buffer.concat([header, msg.subarray(12, at + 5), answer]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { server: `127.0.0.1:${socket.address().port}`, questions, close: () => socket.close() };
}

const restore: (() => void)[] = [];
afterEach(() => {
  while (restore.length) restore.pop()!();
});

/** Every dns.Resolver made from now on asks `server` — the resolver of /etc/resolv.conf, or whoever answers in its place. */
function resolversAsk(server: string): void {
  const proto = dns.Resolver.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['resolve4', 'resolve6']) {
    const original = proto[name]!;
    proto[name] = function (this: dns.Resolver, ...args: unknown[]) {
      this.setServers([server]);
      return original.apply(this, args);
    };
    restore.push(() => { proto[name] = original; });
  }
}

/** dns.lookup (the hosts file, then DNS) answers `name` with ELSEWHERE, as a DNS server would for a name no hosts file holds. */
function lookupSendsElsewhere(name: string): void {
  const original = dns.lookup;
  (dns as { lookup: unknown }).lookup = function (host: string, ...rest: unknown[]) {
    return (original as (...args: unknown[]) => unknown).call(dns, host === name ? ELSEWHERE : host, ...rest);
  };
  restore.push(() => { (dns as { lookup: unknown }).lookup = original; });
}

describe('SMTP on this host, named localhost', () => {
  it.each(['localhost', 'mail.localhost', 'localhost.'])('%s: the mail goes to 127.0.0.1, no DNS server is asked', async (host) => {
    const lying = await startLyingDns();
    resolversAsk(lying.server);
    lookupSendsElsewhere(host);
    const sink = await startSmtpSink({ auth: { user: 'relay', pass: PASSWORD } });
    const sender = createSmtpSender({ host, port: sink.port, tls: false, tls_verify: true, user: 'relay', password: PASSWORD, from: 'signrelay <sign@corp.example>', auth: { type: 'password' } } as never,
      createTestLogger().logger, { connectionTimeoutMs: 5_000 });
    try {
      await sender.send({ to: 'helen.officer@corp.example', subject: 'on this host', text: 't' });
    } finally {
      await sender.close();
      await sink.close();
      lying.close();
    }
    expect(lying.questions).toEqual([]);
    expect(sink.messages).toHaveLength(1);
    expect(sink.logins).toEqual([{ user: 'relay', secure: false }]);
  });
});

describe('IMAP on this host, named localhost', () => {
  let dovecot: DovecotHandle;
  beforeAll(async () => {
    dovecot = await startDovecot({ users: { sign: PASSWORD } });
  });
  afterAll(async () => dovecot?.stop());

  it.each(['localhost.', 'mail.localhost'])('%s: the login goes to 127.0.0.1, whatever a resolver says', async (host) => {
    lookupSendsElsewhere(host);
    const client = createImapClient({ host, port: dovecot.imapPort, tls: false, tls_verify: true, user: 'sign', password: PASSWORD } as never, createTestLogger().logger);
    client.on('error', () => undefined);
    await client.connect();
    expect(client.authenticated).toBeTruthy();
    await client.logout();
  });
});

describe('nothing listening on 127.0.0.1 for a localhost name (diff review 17 L4)', () => {
  async function closedPort(): Promise<number> {
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it('SMTP: the message says localhost was 127.0.0.1 and how to name a server on ::1', async () => {
    const port = await closedPort();
    const sender = createSmtpSender({ host: 'localhost', port, tls: false, tls_verify: true, from: 'signrelay <sign@corp.example>' } as never, createTestLogger().logger);
    try {
      const err = await sender.send({ to: 'helen.officer@corp.example', subject: 's', text: 't' }).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'smtp_unavailable', message: expect.stringContaining('smtp.host "localhost" is taken as 127.0.0.1, never looked up: a server listening on ::1 only needs smtp.host: "::1"') });
    } finally {
      await sender.close();
    }
  });

  it('IMAP: the same, naming the mailbox\'s setting; a server named by its address gets no such note', async () => {
    const port = await closedPort();
    for (const host of ['localhost', '127.0.0.1']) {
      const client = createImapClient({ host, port, tls: false, tls_verify: true, user: 'sign', password: PASSWORD } as never, createTestLogger().logger);
      client.on('error', () => undefined);
      const err = await client.connect().then(() => undefined, (e: unknown) => e);
      client.close();
      const message = classifyImapError(err, { mailbox: 'requests', host, port, user: 'sign' }).message;
      expect(message).toContain('ECONNREFUSED');
      if (host === 'localhost') expect(message).toContain('mailboxes.requests.host "localhost" is taken as 127.0.0.1');
      else expect(message).not.toContain('taken as 127.0.0.1');
    }
  });
});
