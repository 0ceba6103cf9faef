// A loopback TCP proxy for fault tests: it forwards to a real server and can "freeze" the
// connections it carries — stop forwarding both ways without closing anything, the way a dead
// NAT entry or a pulled cable looks to both ends — while new connections still pass. It can
// also terminate TLS in front of a plain server (a self-signed IMAPS server for Dovecot) and
// lets a test watch the bytes going through.
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';

export type ProxyDirection = 'up' | 'down';

export interface ProxyConnection {
  /** Date.now() when the proxy accepted it (after the TLS handshake in TLS mode). */
  openedAt: number;
  frozen: boolean;
  /** Date.now() when either side closed it (while not frozen), or the proxy was closed. */
  closedAt: number | null;
}

export interface TcpProxyOptions {
  target: { host: string; port: number };
  /** Terminate TLS with this certificate; the side towards the target stays plain. */
  tls?: { key: Buffer; cert: Buffer };
  /** Sees every chunk after it was forwarded ('up' = client to server). */
  tap?: (chunk: Buffer, direction: ProxyDirection, connection: ProxyConnection) => void;
}

export interface TcpProxy {
  host: string;
  port: number;
  /** Every connection accepted so far, oldest first. */
  connections: ProxyConnection[];
  /** Freezes the connections open now (later ones pass); returns Date.now() at the freeze. */
  freeze(): number;
  /** Closes the connections open now, frozen or not, at both ends: a server gone mid-command. */
  sever(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const connections: ProxyConnection[] = [];
  const sockets = new Set<net.Socket>();
  const ends = new Map<ProxyConnection, readonly net.Socket[]>();

  const accept = (client: net.Socket) => {
    const connection: ProxyConnection = { openedAt: Date.now(), frozen: false, closedAt: null };
    connections.push(connection);
    const upstream = net.connect(options.target.port, options.target.host);
    sockets.add(client).add(upstream);
    ends.set(connection, [client, upstream]);
    const finish = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      if (!connection.frozen) connection.closedAt ??= Date.now();
    };
    pump(client, upstream, 'up', connection, options.tap);
    pump(upstream, client, 'down', connection, options.tap);
    // A frozen connection hides every end and error from the other side: nothing moves.
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      socket.on('end', () => connection.frozen || other.end());
      socket.on('error', () => connection.frozen || other.destroy());
      socket.on('close', () => {
        if (!connection.frozen) other.destroy();
        finish();
      });
    }
  };

  const server = options.tls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, accept)
    : net.createServer(accept);
  // A client that refuses the certificate aborts the handshake: expected in TLS tests.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    connections,
    freeze() {
      for (const connection of connections) if (connection.closedAt === null) connection.frozen = true;
      return Date.now();
    },
    sever() {
      for (const connection of connections) {
        if (connection.closedAt !== null) continue;
        connection.frozen = false;
        for (const socket of ends.get(connection) ?? []) socket.destroy();
      }
    },
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      for (const connection of connections) connection.closedAt ??= Date.now();
      await closed;
    },
  };
}

/** Forwards `from` → `to` with backpressure; a frozen connection's bytes are read and dropped. */
function pump(from: net.Socket, to: net.Socket, direction: ProxyDirection, connection: ProxyConnection,
  tap: TcpProxyOptions['tap']): void {
  from.on('data', (chunk: Buffer) => {
    if (connection.frozen) return;
    if (!to.write(chunk)) from.pause();
    tap?.(chunk, direction, connection);
  });
  to.on('drain', () => from.resume());
}
