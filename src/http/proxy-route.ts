// Which HTTP proxy a call to an outside service goes through. A server in a company network
// often reaches the internet only through one, and every Unix tool finds it the same way:
// `https_proxy` / `HTTPS_PROXY` (the lower-case spelling first, as curl reads it) and
// `no_proxy` / `NO_PROXY` for the hosts reached directly. Every service signrelay calls with
// its credentials is https (config/http-url.ts), so `HTTP_PROXY` has nothing to carry and is
// not read, nor is `ALL_PROXY`. no_proxy is read as curl reads it — a host name matches itself
// and its subdomains (`corp.example`, `.corp.example`, `*.corp.example`), `*` alone means
// every host, `host:port` only that port, and an address or an address range (`10.0.0.0/8`,
// `2001:db8::/32`) a URL that names an address — with one rule of its own: this machine's
// loopback is always reached directly (the demo's simulators, a relay on the host). Only
// HTTP calls go through it: the IMAP and SMTP servers are reached directly. Pure: the caller
// passes the environment.
import { BlockList, isIP } from 'node:net';
import { SignrelayError } from '../errors.ts';
import { isLoopbackHost } from '../loopback.ts';

export interface HttpProxy {
  /** What is connected to, its login included: never printed. */
  url: URL;
  /** The proxy as printed: scheme, host and port, no login. */
  shown: string;
  /** The variable it came from, as spelled in the environment: "HTTPS_PROXY". */
  variable: string;
}

export interface ProxySettings {
  https?: HttpProxy | undefined;
  /** Whether a host (as in a URL: `[::1]` bracketed) on a port is reached directly (no_proxy). */
  bypass: (host: string, port: number) => boolean;
  /** The no_proxy variable as spelled, when set: "NO_PROXY". */
  bypassVariable?: string | undefined;
}

type Environment = Readonly<Record<string, string | undefined>>;

const NO_PROXY: ProxySettings = { bypass: () => false };

/** The proxies the environment names; a value signrelay cannot use is an operator's error naming its variable. */
export function proxySettingsFrom(env: Environment): ProxySettings {
  const https = proxyVariable(env, 'https_proxy');
  if (!https) return NO_PROXY;
  const bypass = firstSet(env, 'no_proxy');
  return { https, bypass: bypassRule(bypass?.value ?? ''), bypassVariable: bypass?.name };
}

/** The proxy a call to `target` goes through, or undefined: directly. */
export function proxyFor(target: URL, settings: ProxySettings): HttpProxy | undefined {
  const proxy = target.protocol === 'https:' ? settings.https : undefined;
  if (!proxy || isLoopbackHost(target.hostname)) return undefined;
  return settings.bypass(target.hostname.toLowerCase(), Number(target.port) || 443) ? undefined : proxy;
}

/** For `check` and the start-up log: where calls go; undefined when no proxy is set. */
export function describeProxies(settings: ProxySettings): string | undefined {
  if (!settings.https) return undefined;
  const direct = settings.bypassVariable ? `this machine and the hosts in ${settings.bypassVariable} directly` : 'this machine directly';
  return `https through ${settings.https.shown} (${settings.https.variable}); ${direct}`;
}

function firstSet(env: Environment, lower: string): { name: string; value: string } | undefined {
  for (const name of [lower, lower.toUpperCase()]) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

function proxyVariable(env: Environment, lower: string): HttpProxy | undefined {
  const found = firstSet(env, lower);
  if (!found) return undefined;
  const { name, value } = found;
  // curl takes a bare host:port for an http proxy.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  const fix = `set it to http://HOST:PORT (with a login: http://USER:PASSWORD@HOST:PORT, special characters %-encoded), or unset it`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const shown = value.includes('@') ? 'its value holds a login, not shown' : JSON.stringify(value);
    throw new SignrelayError('config', 'proxy_invalid', `${name} is not a proxy address (${shown}): ${fix}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SignrelayError('config', 'proxy_invalid', `${name} names a ${url.protocol.slice(0, -1)} proxy; signrelay goes through an HTTP proxy only (http:// or https://): ${fix}`);
  }
  if (!url.hostname) throw new SignrelayError('config', 'proxy_invalid', `${name} names no proxy host: ${fix}`);
  // curl takes 1080 for a proxy without one, the URL's scheme 80 or 443: neither is a guess to make.
  if (!url.port) throw new SignrelayError('config', 'proxy_invalid', `${name} names no port (the proxy's, e.g. 3128 or 8080): ${fix}`);
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw new SignrelayError('config', 'proxy_invalid', `${name}'s login has a % that is not %-encoded (write it %25, and every special character %-encoded): ${fix}`);
  }
  return { url, shown: `${url.protocol}//${url.host}`, variable: name };
}

/** no_proxy's entries as one test; an entry that is none of the forms above is ignored, as curl does. */
function bypassRule(value: string): (host: string, port: number) => boolean {
  const entries = value.split(/[\s,]+/).filter(Boolean);
  if (entries.includes('*')) return () => true;
  const names: { name: string; port: number }[] = [];
  const ranges = new BlockList();
  for (const entry of entries.map((e) => e.toLowerCase())) {
    const range = /^\[?([0-9a-f.:]+)\]?\/(\d{1,3})$/.exec(entry);
    const family = range ? isIP(range[1]!) : 0;
    if (range && family) {
      const bits = Number(range[2]);
      if (bits <= (family === 4 ? 32 : 128)) ranges.addSubnet(range[1]!, bits, family === 4 ? 'ipv4' : 'ipv6');
      continue;
    }
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    const name = unbracketed((withPort ? withPort[1]! : entry).replace(/^\*?\./, '').replace(/\.$/, ''));
    const port = withPort ? Number(withPort[2]) : 0;
    // An address on any port is a range of one, so that every way of writing it matches.
    if (isIP(name) && port === 0) ranges.addAddress(name, isIP(name) === 4 ? 'ipv4' : 'ipv6');
    else if (name) names.push({ name, port });
  }
  return (host, port) => {
    const bare = unbracketed(host).replace(/\.$/, '');
    const family = isIP(bare);
    if (family && ranges.check(bare, family === 4 ? 'ipv4' : 'ipv6')) return true;
    return names.some((e) => (e.port === 0 || e.port === port) && (bare === e.name || (!family && bare.endsWith(`.${e.name}`))));
  };
}

/** Errors of the connection to the proxy itself (trusting-fetch.ts marks them): nothing reached the service. */
const atProxy = new WeakSet<object>();

/** Marks `err` as the proxy's own: its connection, its TLS, its CONNECT — before any tunnel to the service. */
export function markProxyConnectionFailure(err: unknown): void {
  if (typeof err === 'object' && err !== null) atProxy.add(err);
}

/** Whether `err` (or its cause) failed at the proxy, before the tunnel to the service was up. */
export function failedAtProxy(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (atProxy.has(e)) return true;
  }
  return false;
}

/**
 * A call that went to a proxy and failed: `cause` is fetch's own error. Whether the proxy or
 * the service behind it failed is the classifier's to tell (network-failure.ts).
 */
export class ProxiedCallFailure extends Error {
  readonly proxy: HttpProxy;
  constructor(proxy: HttpProxy, cause: unknown) {
    super(`through the proxy ${proxy.shown}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ProxiedCallFailure';
    this.proxy = proxy;
  }
}

function unbracketed(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}
