// The fetch one HTTP client uses, trusting what the operator set for that service: the
// usual CAs plus `ca_file` (a private CA, a TLS-inspecting proxy), or — the explicit
// opt-out — no verification at all. Node's fetch takes no TLS options per call; it takes
// a `dispatcher`, and an Agent of the undici that Node bundles (the dependency is pinned
// to Node 24's: a dispatcher of another major is refused) carries them. With neither
// setting undici is not even loaded: loading it installs its own Agent as the process's
// default dispatcher when none is set yet.
//
// It never follows a redirect (`redirect: 'manual'`): the 3xx is the answer, and each
// service's classifier names the setting to fix (redirectRefused, network-failure.ts).
// Followed, a 307 would resend a token form's client secret to another address, a 303 turn
// an attachment's POST into a GET whose answer passed for the attachment's, and a streamed
// upload fail as if the network had.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tls from 'node:tls';
import type { Agent as UndiciAgent } from 'undici';
import { SignrelayError } from '../errors.ts';

const load = createRequire(import.meta.url);

export interface TlsSettings {
  tls_verify: boolean;
  ca_file?: string | undefined;
}

export function trustingFetch(base: typeof fetch, settings: TlsSettings, section: string): typeof fetch {
  if (settings.tls_verify && settings.ca_file === undefined) return (input, init) => base(input, { ...init, redirect: 'manual' });
  const ca = settings.ca_file === undefined ? undefined : [...defaultCertificates(), readCaFile(settings.ca_file, section)];
  const { Agent } = load('undici') as { Agent: typeof UndiciAgent };
  const dispatcher = new Agent({ connect: { rejectUnauthorized: settings.tls_verify, ...(ca ? { ca } : {}) } });
  return (input, init) => base(input, { ...init, redirect: 'manual', dispatcher } as RequestInit);
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
