// observability.listen: "127.0.0.1:9464" or "[::1]:9464". The endpoint is unauthenticated,
// so only loopback hosts are accepted. Pure: the schema validates with it, the server binds
// with its result.
import { isLoopbackHost, loopbackAddress } from '../loopback.ts';

export type ListenAddress = { host: string; port: number } | { problem: string };

export function parseListenAddress(listen: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || !Number.isInteger(port) || port > 65535) {
    const ipv6 = /^[0-9a-f:]+:\d+$/i.test(listen) && listen.split(':').length > 2 ? ` — an IPv6 address goes in brackets: [${listen.replace(/:\d+$/, '')}]:${listen.replace(/^.*:/, '')}` : '';
    return { problem: `"${listen}" is not HOST:PORT (e.g. 127.0.0.1:9464)${ipv6}` };
  }
  if (!isLoopbackHost(host)) {
    return { problem: `${host} is not a loopback address; the endpoint is unauthenticated, so it listens on a loopback address only — 127.0.0.1 or ::1 (scrape it through a local agent or a reverse proxy)` };
  }
  // Bound to the address, not the name: a resolver could put `localhost.` elsewhere (loopback.ts).
  return { host: loopbackAddress(host), port };
}
