// A second IMAP session in IDLE on the request mailbox, beside the daemon's: it notes when
// Dovecot tells an IDLE session that new mail is there (an EXISTS that grows the count). The
// intake latency splits at that moment into Dovecot's share (delivered → told; its IDLE
// notice waits ~0.5 s) and what comes after it: the daemon's work, then the simulator's.
import { ImapFlow } from 'imapflow';

export interface IdleObserver {
  /** When each EXISTS that grew the count arrived (ms since the epoch), in order. */
  readonly toldAt: number[];
  /** The first time Dovecot told of new mail at or after `since`. */
  toldAfter(since: number): number | undefined;
  close(): Promise<void>;
}

export async function observeIdle(options: { host: string; port: number; user: string; password: string }): Promise<IdleObserver> {
  const client = new ImapFlow({ host: options.host, port: options.port, secure: false, auth: { user: options.user, pass: options.password }, logger: false });
  const toldAt: number[] = [];
  client.on('exists', (event: { count: number; prevCount: number }) => {
    if (event.count > event.prevCount) toldAt.push(Date.now());
  });
  client.on('error', () => undefined);
  await client.connect();
  await client.mailboxOpen('INBOX', { readOnly: true });
  // IDLE now (imapflow would enter it by itself only after a pause), kept until logout.
  void client.idle().catch(() => undefined);
  // Closed by the section when it is done, and by the world's clean-up if the section failed first.
  let closed: Promise<void> | undefined;
  return {
    toldAt,
    toldAfter: (since) => toldAt.find((at) => at >= since),
    close() {
      closed ??= client.logout().catch(() => client.close());
      return closed;
    },
  };
}
