// A real HTTP proxy on loopback that tunnels with CONNECT, as a company's forward proxy
// (Squid) does: it may ask for a login (407), refuses hosts it does not let through (403),
// and answers 502 when the host behind it cannot be reached. Host names it knows are
// mapped to loopback ports, so a test can name a service the machine cannot resolve
// (`api.signing.test`): the call reaches it only through the proxy.
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ConnectProxyOptions {
  /** host (as in CONNECT, without the port) → the loopback port it stands for; other hosts are refused 403. */
  hosts: Record<string, number>;
  /** "user:password" the proxy asks for (Basic), if any. */
  login?: string;
  /** An https:// proxy: TLS to the proxy itself, with this certificate (issued for 127.0.0.1). */
  tls?: { key: Buffer; cert: Buffer };
}

export interface ConnectProxy {
  /** http://127.0.0.1:PORT (https:// with `tls`) */
  url: string;
  port: number;
  /** Every CONNECT target seen, with the login it came with (decoded), in order. */
  tunnels: { target: string; login: string | undefined }[];
  close(): Promise<void>;
}

export async function startConnectProxy(options: ConnectProxyOptions): Promise<ConnectProxy> {
  const tunnels: ConnectProxy['tunnels'] = [];
  const sockets = new Set<Socket>();
  const refuse = (_req: IncomingMessage, res: import('node:http').ServerResponse) => res.writeHead(405).end('only CONNECT\n');
  const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, refuse) : createServer(refuse);
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    const target = req.url ?? '';
    const login = basicLogin(req.headers['proxy-authorization']);
    tunnels.push({ target, login });
    const answer = (status: string) => client.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`);
    if (options.login !== undefined && login !== options.login) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const host = target.replace(/:\d+$/, '');
    const port = options.hosts[host];
    if (port === undefined) return answer('403 Forbidden');
    const upstream = connect(port, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => answer('502 Bad Gateway'));
    upstream.on('connect', () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    tunnels,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function basicLogin(header: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  return match ? Buffer.from(match[1]!, 'base64').toString('utf8') : undefined;
}
