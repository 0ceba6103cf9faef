// The fetch one HTTP client uses, trusting what the operator set for that service: the
// usual CAs plus `ca_file` (a private CA, a TLS-inspecting proxy), or — the explicit
// opt-out — no verification at all. Node's fetch takes no TLS options per call; it takes
// a `dispatcher`, and an Agent of the undici that Node bundles (the dependency is pinned
// to Node 24's: a dispatcher of another major is refused) carries them. With neither
// setting undici is not even loaded: loading it installs its own Agent as the process's
// default dispatcher when none is set yet.
//
// A call goes through the HTTP proxy the environment names for its URL (proxy-route.ts:
// HTTPS_PROXY, NO_PROXY), tunnelled with CONNECT, the service's certificate verified as
// without one; a failure on that road carries the proxy (ProxiedCallFailure), so its message
// names the variable to fix instead of the service's address.
//
// It never follows a redirect (`redirect: 'manual'`): the 3xx is the answer, and each
// service's classifier names the setting to fix (redirectRefused, network-failure.ts).
// Followed, a 307 would resend a token form's client secret to another address, a 303 turn
// an attachment's POST into a GET whose answer passed for the attachment's, and a streamed
// upload fail as if the network had.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tls from 'node:tls';
import type { Agent as UndiciAgent, Dispatcher, Pool as UndiciPool, ProxyAgent as UndiciProxyAgent } from 'undici';
import { SignrelayError } from '../errors.ts';
import { markProxyConnectionFailure, ProxiedCallFailure, proxyFor, proxySettingsFrom, type HttpProxy } from './proxy-route.ts';

const load = createRequire(import.meta.url);

export interface TlsSettings {
  tls_verify: boolean;
  ca_file?: string | undefined;
}

export function trustingFetch(base: typeof fetch, settings: TlsSettings, section: string, env: Readonly<Record<string, string | undefined>> = process.env): typeof fetch {
  const proxies = proxySettingsFrom(env);
  const tls = tlsOptions(settings, section);
  if (!tls && !proxies.https) return (input, init) => base(input, { ...init, redirect: 'manual' });
  const undici = load('undici') as { Agent: typeof UndiciAgent; Pool: typeof UndiciPool; ProxyAgent: typeof UndiciProxyAgent };
  const direct = tls ? new undici.Agent({ connect: tls }) : undefined;
  // Made now, not at the first call: whatever undici refuses in the variable is refused at start.
  const tunnel = proxies.https && new undici.ProxyAgent({
    uri: proxies.https.url.href,
    // The service's certificate, through the tunnel, as the service's settings say; an https://
    // proxy's own always verified (tls_verify: false is for a test service, not for the proxy
    // that gets the proxy's login), with the CAs of ca_file.
    ...(tls ? { requestTls: tls } : {}),
    ...(tls?.ca ? { proxyTls: { ca: tls.ca } } : {}),
    // The connection to the proxy — its TCP, its TLS, its CONNECT — failed: nothing reached the service.
    clientFactory: (origin, options) => {
      const pool = new undici.Pool(origin, options);
      const connect = pool.connect.bind(pool) as (params: Dispatcher.ConnectOptions) => Promise<Dispatcher.ConnectData>;
      (pool as { connect: unknown }).connect = (params: Dispatcher.ConnectOptions) => connect(params).catch((err: unknown) => {
        markProxyConnectionFailure(err);
        throw err;
      });
      return pool;
    },
  });
  return async (input, init) => {
    const proxy = proxyFor(new URL(input instanceof Request ? input.url : String(input)), proxies);
    if (!proxy) return base(input, { ...init, redirect: 'manual', ...(direct ? { dispatcher: direct } : {}) } as RequestInit);
    try {
      return await base(input, { ...init, redirect: 'manual', dispatcher: tunnel } as RequestInit);
    } catch (err) {
      throw new ProxiedCallFailure(proxy, err);
    }
  };
}

/** The TLS options the operator's settings ask for; undefined: Node's defaults. */
function tlsOptions(settings: TlsSettings, section: string): { rejectUnauthorized: boolean; ca?: string[] } | undefined {
  if (settings.tls_verify && settings.ca_file === undefined) return undefined;
  const ca = settings.ca_file === undefined ? undefined : [...defaultCertificates(), readCaFile(settings.ca_file, section)];
  return { rejectUnauthorized: settings.tls_verify, ...(ca ? { ca } : {}) };
}

/** What Node trusts by default (its bundle, plus NODE_EXTRA_CA_CERTS): `ca` replaces it, so it is added back. */
function defaultCertificates(): string[] {
  return typeof tls.getCACertificates === 'function' ? tls.getCACertificates('default') : [...tls.rootCertificates];
}

function readCaFile(file: string, section: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SignrelayError('config', 'ca_file_unreadable', `${section}.ca_file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new SignrelayError('config', 'ca_file_not_pem', `${section}.ca_file: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return text;
}
