// Whether a host name or address is this machine's loopback — one rule for every place that
// asks: a mail login that may go without STARTTLS (mail/plain-login.ts), the unauthenticated
// metrics endpoint's listen address (config/listen-address.ts), `authorize`'s redirect
// listener (commands/authorize.ts), a proxy never used for this machine (http/proxy-route.ts).
// And where such a host is connected to or listened on: a name is only loopback if nothing
// else answers for it (loopbackAddress). Pure.
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 (and its IPv4-mapped form, however written), `localhost` and its subdomains; brackets and a final dot aside. */
export function isLoopbackHost(host: string): boolean {
  const name = bare(host);
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return /^::1$|^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(canonicalHost(name));
  return false;
}

/**
 * One spelling for one host: lower case, no brackets, no final dot, an IPv6 address in its
 * shortest form (`0:0:0:0:0:0:0:1` is `::1`; a zone index, `fe80::1%eth0`, kept as written).
 */
export function canonicalHost(host: string): string {
  const name = bare(host);
  if (isIP(name) !== 6) return name;
  const zone = /%.*$/.exec(name)?.[0] ?? '';
  return `${new URL(`http://[${name.slice(0, name.length - zone.length)}]`).hostname.slice(1, -1)}${zone}`;
}

/**
 * The address to connect to, or listen on, for a configured host. A name under `localhost` is
 * this machine by definition (RFC 6761) and is taken as 127.0.0.1, not looked up: a resolver
 * could answer otherwise — nodemailer asks the DNS servers before the hosts file, and
 * `localhost.` or `mail.localhost` are in no hosts file — and a login without STARTTLS, or the
 * unauthenticated /healthz, would then go to another machine. An IPv6 literal loses the
 * brackets written around it as in a URL; any other host is returned as written.
 */
export function loopbackAddress(host: string): string {
  const name = bare(host);
  if (name === 'localhost' || name.endsWith('.localhost')) return '127.0.0.1';
  return isIP(name) ? name : host;
}

/**
 * The name a TLS certificate is checked against when `loopbackAddress` put an address in the
 * place of a name (`localhost`); undefined when the host is connected to as written.
 */
export function certificateName(host: string): string | undefined {
  const name = bare(host);
  return loopbackAddress(host) !== host && !isIP(name) ? name : undefined;
}

/** Said when nothing answers on a `localhost` name: it was 127.0.0.1, not ::1, that was tried. */
export function localhostNote(host: string, setting: string): string {
  return certificateName(host) ? ` (${setting} "${host}" is taken as 127.0.0.1, never looked up: a server listening on ::1 only needs ${setting}: "::1")` : '';
}

/** HOST:PORT as a message shows it: an IPv6 address in brackets, so the port can be told apart. */
export function hostAndPort(host: string, port: number | string): string {
  return `${isIP(bare(host)) === 6 ? `[${bare(host)}]` : host}:${port}`;
}

function bare(host: string): string {
  return host.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}
