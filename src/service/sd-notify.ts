// systemd's notify protocol (sd_notify(3)): READY=1 when the daemon runs, WATCHDOG=1 while
// it is healthy, STOPPING=1 on the way out, STATUS=… for `systemctl status`. The messages
// are datagrams on the unix socket named by $NOTIFY_SOCKET; Node cannot send unix
// datagrams, so one long-lived helper process (perl, which Debian always has: perl-base is
// Essential) forwards our lines. It lives as long as the daemon — a short-lived sender
// could exit before systemd reads its credentials and have its message dropped — and the
// unit says NotifyAccess=all so systemd takes messages from it. Without $NOTIFY_SOCKET (not
// under systemd) every call does nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log.ts';

export interface SystemdNotifier {
  /** Whether systemd asked for notifications at all. */
  readonly enabled: boolean;
  /** How often to send WATCHDOG=1 (half of WatchdogSec), or undefined when there is no watchdog. */
  readonly watchdogIntervalMs: number | undefined;
  notify(state: Record<string, string>): void;
  close(): void;
}

// Reads lines of "KEY=VALUE\x1fKEY=VALUE…" on stdin and sends each as one datagram; an
// abstract socket ("@name") gets its leading NUL.
const FORWARDER = String.raw`
use strict; use Socket;
my $path = $ENV{NOTIFY_SOCKET}; $path =~ s/^@/\0/;
socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
my $to = pack_sockaddr_un($path);
$| = 1;
while (my $line = <STDIN>) { chomp $line; $line =~ s/\x1f/\n/g; send($s, $line, 0, $to) or print STDERR "sd_notify: $!\n"; }
`;

/** WATCHDOG_USEC applies to us only when WATCHDOG_PID is unset or is our pid (sd_watchdog_enabled(3)). */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2_000));
}

export function createSystemdNotifier(logger: Logger, env: NodeJS.ProcessEnv = process.env): SystemdNotifier {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return { enabled: false, watchdogIntervalMs: undefined, notify() {}, close() {} };
  let child: ChildProcess | undefined = spawn('perl', ['-e', FORWARDER], { env: { NOTIFY_SOCKET: socket }, stdio: ['pipe', 'ignore', 'pipe'] });
  child.on('error', (err) => {
    logger.error('cannot talk to systemd (sd_notify needs perl): the watchdog will restart the service', { error: err.message });
    child = undefined;
  });
  child.stderr!.on('data', (chunk: Buffer) => logger.warn('sd_notify failed', { error: chunk.toString().trim() }));
  child.stdin!.on('error', () => { child = undefined; });
  child.unref();
  return {
    enabled: true,
    watchdogIntervalMs: watchdogIntervalMs(env),
    notify(state) {
      const line = Object.entries(state).map(([k, v]) => `${k}=${v.replace(/[\n\x1f]/g, ' ')}`).join('\x1f');
      child?.stdin?.write(`${line}\n`);
    },
    close() {
      child?.stdin?.end();
      child = undefined;
    },
  };
}
