// Starting a test Dovecot when a port picked free was taken meanwhile (two suites at once
// start hundreds of servers on loopback): another server's greeting on that port must not
// pass for this Dovecot's, and the start must end in PortTakenError, which startDovecot
// answers by picking other ports.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderDovecotConfig } from './dovecot-config.ts';
import { freePorts, PortTakenError, spawnDovecot, terminate } from './dovecot-process.ts';
import { startDovecot } from './dovecot.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server on a free port that greets like a Dovecot (any Dovecot). */
async function impostor(): Promise<{ port: number; greeted: () => number }> {
  let greeted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    greeted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.end('* OK [CAPABILITY IMAP4rev1] Dovecot (Debian) ready.\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return { port: (server.address() as net.AddressInfo).port, greeted: () => greeted };
}

describe('a test Dovecot on ports picked free', () => {
  it('does not take another server\'s greeting for its own: a port taken before it could bind it is a PortTakenError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-dovecot-taken-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'mail'));
    writeFileSync(join(dir, 'users'), '');
    const other = await impostor();
    const [lmtpPort] = await freePorts(1);
    const conf = join(dir, 'dovecot.conf');
    const greeting = 'signrelay test Dovecot taken-port-check ready.';
    writeFileSync(conf, renderDovecotConfig({ dir, mailDir: join(dir, 'mail'), imapPort: other.port, lmtpPort: lmtpPort!, greeting, extra: '' }));
    const started = spawnDovecot(conf, dir, other.port, greeting);
    started.then(terminate, () => {});
    const error = await started.then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(PortTakenError);
    expect((error as Error).message).toMatch(/Address already in use/);
  });

  it('greets with its own line, and its handle names the ports it listens on', async () => {
    const dovecot = await startDovecot({ users: { someone: 'pw-3f9a' } });
    cleanups.push(() => dovecot.stop());
    const line = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(dovecot.imapPort, '127.0.0.1');
      socket.once('data', (data) => {
        socket.end();
        resolve(data.toString());
      });
      socket.once('error', reject);
    });
    expect(line).toMatch(/^\* OK .*signrelay test Dovecot [0-9a-f-]{36} ready\./);
    await dovecot.deliver('someone', 'Subject: hello\r\nMessage-ID: <greeting-check@test.example>\r\n\r\nhi\r\n');
    expect((await dovecot.list('someone', 'INBOX')).map((m) => m.messageId)).toEqual(['<greeting-check@test.example>']);
  });
});
