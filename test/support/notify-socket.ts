// A stand-in for systemd's notification socket: a perl process bound to a unix datagram
// socket (a path, or "@name" for the abstract namespace) that prints every datagram it
// gets, newlines shown as "|". Node can neither send nor receive unix datagrams.
import { spawn } from 'node:child_process';
import { waitFor } from './wait-for.ts';

const RECEIVER = String.raw`
use strict; use Socket; $| = 1;
my $path = $ARGV[0]; (my $bind = $path) =~ s/^@/\0/;
socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
bind($s, pack_sockaddr_un($bind)) or die "bind: $!";
print "listening\n";
while (1) { my $m; recv($s, $m, 4096, 0); $m =~ s/\n/|/g; print "$m\n"; }
`;

export interface NotifySocket {
  /** Every datagram so far, in order. */
  messages(): string[];
  close(): Promise<void>;
}

export async function listenForNotifications(path: string): Promise<NotifySocket> {
  const child = spawn('perl', ['-e', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const close = async () => { child.kill('SIGKILL'); };
  try {
    await waitFor(() => out.includes('listening\n'), { timeoutMs: 5_000, what: 'the notification socket' });
  } catch (err) {
    await close();
    throw err;
  }
  return { messages: () => out.split('\n').slice(1).filter(Boolean), close };
}
