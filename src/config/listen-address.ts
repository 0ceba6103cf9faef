// observability.listen: "127.0.0.1:9464" or "[::1]:9464". The endpoint is unauthenticated,
// so only loopback hosts are accepted. Pure: the schema validates with it, the server binds
// with its result.
import { isLoopbackHost } from '../loopback.ts';

export type ListenAddress = { host: string; port: number } | { problem: string };

export function parseListenAddress(listen: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || !Number.isInteger(port) || port > 65535) return { problem: `"${listen}" is not HOST:PORT (e.g. 127.0.0.1:9464)` };
  if (!isLoopbackHost(host)) {
    return { problem: `${host} is not a loopback address; the endpoint is unauthenticated, so it listens on a loopback address only — 127.0.0.1 or ::1 (scrape it through a local agent or a reverse proxy)` };
  }
  return { host, port };
}
