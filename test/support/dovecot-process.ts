// Running Dovecot as a child process for tests: start in the foreground and wait for the
// IMAP greeting, stop it the way a real restart would (sessions dropped), never leak it when
// the test process dies, and small helpers (free ports, running doveadm).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { childPids } from './child-pids.ts';
import { MIN_WAIT_MS } from './wait-for.ts';
import { guardAgainstOrphan } from '../../src/orphan-guard.ts';

const DOVECOT = '/usr/sbin/dovecot';

/**
 * Starts Dovecot and waits until *this* Dovecot greets on imapPort (its own login_greeting):
 * a port picked free may be taken by another process before Dovecot binds it (two suites at
 * once start hundreds of servers), and then another server's greeting must not pass for its
 * own — its master binds every listener before it greets, so the greeting also says LMTP is
 * its. A port that was taken ends in PortTakenError.
 */
export async function spawnDovecot(conf: string, dir: string, imapPort: number, greetingText: string): Promise<ChildProcess> {
  const child = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Dovecot is stopped if this process dies without stop() (a crashed test worker, a failing beforeAll).
  const watchdog = guardAgainstOrphan(child.pid!, 'dovecot-watchdog', { signal: 'TERM' });
  child.once('exit', () => watchdog.kill('SIGKILL'));
  const failure = () => {
    const said = `${output}${readFileOr(join(dir, 'dovecot.log'))}`.trim();
    return /Address already in use/.test(said) ? new PortTakenError(`dovecot could not listen: ${said}`) : new Error(`dovecot exited (${child.exitCode ?? child.signalCode}): ${said}`);
  };
  let over = false;
  child.once('exit', () => (over = true));
  try {
    // This Dovecot's greeting, or its exit (a port taken, a bad setting); a minute of neither is a hang.
    const giveUpAt = Date.now() + MIN_WAIT_MS;
    for (;;) {
      if (over) throw failure();
      if ((await greeting(imapPort)).includes(greetingText)) break;
      if (Date.now() > giveUpAt) throw new Error(`Dovecot neither greeted on port ${imapPort} nor exited within ${MIN_WAIT_MS} ms: ${failure().message}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch (err) {
    await terminate(child);
    throw err;
  }
  return child;
}

/** Dovecot could not listen on a port picked free: another process took it first. */
export class PortTakenError extends Error {}

/**
 * Stops the master, then its former children. Measured: after SIGTERM the master exits but
 * running imap processes are left behind and keep serving their clients, so a "restart"
 * would not drop a single session; killing them is what a real server restart looks like.
 */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const children = childPids(child.pid);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The server's `* OK` greeting line, or '' when none came. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(2_000, () => socket.destroy());
    socket.once('data', (data) => {
      socket.end('x LOGOUT\r\n');
      const line = data.toString();
      resolve(line.startsWith('* OK') ? line : '');
    });
    socket.once('error', () => resolve(''));
    socket.once('close', () => resolve(''));
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export function run(command: string, args: string[], input?: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim()}`))));
    // A command that does not read its input (or exits first) closes the pipe: the exit
    // code tells what happened, an EPIPE on our side must not become an unhandled error.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

export function readFileOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

