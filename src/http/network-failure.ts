// A call to an HTTP API that got no usable answer — our timeout, a refused or reset
// connection, a certificate that does not verify — turned into a SignrelayError, the same
// way for every service (Secured Signing, ServiceNow). Pure and table-tested. The kind
// decides what happens next: a blip is `transient` (the job retries), a certificate is
// `config` (an operator must act; retrying sooner would not help). Messages name the
// service, the call and the setting to look at; never a secret, never a stack.
import { SignrelayError } from '../errors.ts';
import { CERTIFICATE_CODES } from '../tls-errors.ts';
import { failedAtProxy, ProxiedCallFailure, type HttpProxy } from './proxy-route.ts';

/** How one service is named in messages, codes and settings. */
export interface ServiceNames {
  /** "Secured Signing" */
  service: string;
  /** Code prefix: "provider" → provider_timeout. */
  codePrefix: string;
  /** The config section holding timeout_seconds, ca_file and tls_verify: "provider". */
  section: string;
  /** The setting(s) holding the address: "provider.environment". */
  urlSetting: string;
  /** Said after a bad answer: what to check when the service answers other than its API. */
  badAnswerHint?: string;
}

export interface NetworkFailureContext {
  /** Seconds the call was given (its timeout_seconds). */
  timeoutSeconds?: number | undefined;
  /** The call may have taken effect when its answer was lost (an upload, a send, an attachment). */
  effect?: boolean | undefined;
}

/** The connection broke after it was made: the request may have reached the service. (undici's own
 * header/body timeouts, 300 s, come first only when timeout_seconds is longer.) */
const CONNECTION_LOST_CODES = new Set([
  'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

/** A TLS handshake that failed for a reason other than the certificate (http vs https, protocol). */
const TLS_PROTOCOL_RE = /^ERR_SSL_|^EPROTO$/;

/** The innermost code in a fetch error's cause chain ("fetch failed" → SocketError → …). */
function errorCode(err: unknown): { code: string; message: string } {
  let code = '';
  let message = '';
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') code = c;
    if (e instanceof Error && e.message) message = e.message;
  }
  return { code, message: withoutLogins(message || String(err)) };
}

/** A URL's login (scheme://user:password@) up to the last "@" before the path: the host starts after it. */
const URL_LOGIN_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/**
 * `text` with the login taken out of every URL in it. undici quotes the URL in some errors
 * ("Request cannot be constructed from a URL that includes credentials: http://admin:pw@…"),
 * and the message is shown and logged; the configuration refuses such a URL, this is the
 * second line behind it.
 */
export function withoutLogins(text: string): string {
  return text.replace(URL_LOGIN_RE, '$1');
}

export function classifyNetworkFailure(names: ServiceNames, operation: string, failure: unknown, context: NetworkFailureContext = {}): SignrelayError {
  const { service, codePrefix, section, urlSetting } = names;
  const proxy = failure instanceof ProxiedCallFailure ? failure.proxy : undefined;
  const err = failure instanceof ProxiedCallFailure ? failure.cause : failure;
  const via = proxy ? ` through the proxy ${proxy.shown}` : '';
  const unknown = context.effect ? '; whether it was done is unknown' : '';
  // Only a timeout or a broken connection can lose the answer to a request that arrived; a
  // refused connection, DNS or TLS failure means it never reached the service.
  const lost = { cause: err, outcomeUnknown: context.effect === true };
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    const within = context.timeoutSeconds === undefined ? '' : ` within ${context.timeoutSeconds} s (${section}.timeout_seconds)`;
    return new SignrelayError('transient', `${codePrefix}_timeout`, `${service} did not answer${via} to ${operation}${within}${unknown}; will retry`, lost);
  }
  const { code, message } = errorCode(err);
  const atProxy = proxy && proxyFailure(names, operation, proxy, code, message, err);
  if (atProxy) return atProxy;
  if (CERTIFICATE_CODES.has(code)) {
    const hostWrong = code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH';
    const fix = hostWrong
      ? `the certificate is for another host name: check ${urlSetting}`
      : `if a private CA signs it (an internal CA, a TLS-inspecting proxy), trust that CA with ${section}.ca_file: /path/ca.pem ` +
        `(or start signrelay with NODE_EXTRA_CA_CERTS=/path/ca.pem); otherwise check ${urlSetting}`;
    return new SignrelayError('config', `${codePrefix}_tls_verify`,
      `the certificate of ${service} could not be verified (${code})${via} to ${operation}: ${fix}. ` +
      'The work waits and is tried again; a changed setting takes effect when signrelay is reloaded or restarted (NODE_EXTRA_CA_CERTS: restarted)', { cause: err });
  }
  if (TLS_PROTOCOL_RE.test(code)) {
    return new SignrelayError('config', `${codePrefix}_tls_failed`,
      `TLS with ${service} failed (${code})${via} to ${operation}: check that ${urlSetting} has the right scheme (https) and port`, { cause: err });
  }
  if (CONNECTION_LOST_CODES.has(code)) {
    return new SignrelayError('transient', `${codePrefix}_connection_lost`,
      `the connection to ${service}${via} broke (${code}) while trying to ${operation}${unknown}; will retry`, lost);
  }
  return new SignrelayError('transient', `${codePrefix}_unreachable`,
    `could not reach ${service}${via} (${code || message}) to ${operation}; will retry — check the network and ${urlSetting}`, { cause: err });
}

/** undici's words when the proxy answers the tunnel's CONNECT with another status than 200. */
const TUNNEL_REFUSED_RE = /Proxy response \((\d{3})\) !== 200/;

/** A failure of the proxy itself, told with the variable to fix; undefined: the service's, behind it. */
function proxyFailure(names: ServiceNames, operation: string, proxy: HttpProxy, code: string, message: string, cause: unknown): SignrelayError | undefined {
  const { service, codePrefix, section, urlSetting } = names;
  const theProxy = `the proxy ${proxy.shown} (${proxy.variable})`;
  const later = `The work waits and is tried again; a changed ${proxy.variable} takes effect when signrelay is restarted`;
  if (failedAtProxy(cause)) {
    if (CERTIFICATE_CODES.has(code)) {
      return new SignrelayError('config', `${codePrefix}_proxy_tls_verify`,
        `the certificate of ${theProxy} could not be verified (${code}) to ${operation} at ${service}: if a private CA signs it, trust that CA with ` +
        `${section}.ca_file: /path/ca.pem (or start signrelay with NODE_EXTRA_CA_CERTS=/path/ca.pem); otherwise check the host in ${proxy.variable}. ${later}`, { cause });
    }
    // Nothing reached the service: the work waits for the proxy, as for the SMTP server (job-failure-policy.ts).
    return new SignrelayError('transient', `${codePrefix}_proxy_unreachable`,
      `could not reach ${theProxy} (${code || message}) to ${operation} at ${service}; will retry — check ${proxy.variable} and that the proxy runs`, { cause });
  }
  const status = Number(TUNNEL_REFUSED_RE.exec(message)?.[1] ?? 0);
  if (status === 407) {
    const fix = proxy.url.username
      ? `it refused the login in ${proxy.variable}: check the user and password there (special characters %-encoded)`
      : `give the login in ${proxy.variable} as http://USER:PASSWORD@HOST:PORT (special characters %-encoded)`;
    return new SignrelayError('config', `${codePrefix}_proxy_login`, `${theProxy} asks for a login (HTTP 407) to ${operation} at ${service}: ${fix}. ${later}`, { cause });
  }
  if (status === 401 || status === 403) {
    return new SignrelayError('config', `${codePrefix}_proxy_refused`,
      `${theProxy} refused to connect to ${service} (HTTP ${status}) to ${operation}: ask the proxy's operator to let through the address in ${urlSetting} on its port, ` +
      `or name that host in NO_PROXY if this machine reaches it directly. ${later}`, { cause });
  }
  if (status) {
    return new SignrelayError('transient', `${codePrefix}_unreachable`,
      `${theProxy} could not connect to ${service} (HTTP ${status}) to ${operation}; will retry — check the network and ${urlSetting}`, { cause });
  }
  return undefined;
}

/** A 2xx whose body is not what the API documents; for an `effect` call, its outcome is unknown. */
export function badAnswer(names: ServiceNames, operation: string, problem: string, cause?: unknown, context: NetworkFailureContext = {}): SignrelayError {
  const unknown = context.effect ? '; whether it was done is unknown' : '';
  const hint = names.badAnswerHint ? ` ${names.badAnswerHint}` : '';
  return new SignrelayError('transient', `${names.codePrefix}_bad_response`, `${names.service} answered oddly to ${operation}: ${problem}${unknown}; will retry${hint}`, { cause, outcomeUnknown: context.effect === true });
}

/**
 * An answer that sends the call elsewhere (3xx). signrelay's fetch never follows one
 * (trustingFetch): following would send the credentials — a token form's client secret, a
 * body fetch resends on a 307 — and the files to an address nobody configured, and fetch turns
 * a redirected POST or PATCH into a GET whose answer would pass for the call's. An operator's
 * setting, not a retry: the address moved, or the path leads to a login page.
 */
export function redirectRefused(names: ServiceNames, operation: string, answer: { status: number; headers: { get(name: string): string | null } }): SignrelayError | undefined {
  if (answer.status < 300 || answer.status > 399) return undefined;
  const target = redirectTarget(answer.headers.get('location'));
  const fix = target === 'same address'
    ? `the address answers with a redirect to another of its own pages (a login page?): the API must take the credentials signrelay sends without a browser; check ${names.urlSetting}`
    : `set ${names.urlSetting} to the address ${names.service} answers on`;
  return new SignrelayError('config', `${names.codePrefix}_redirected`,
    `${names.service} answered the call to ${operation} with a redirect (HTTP ${answer.status}${target ? ` to ${target === 'same address' ? 'another path of the same address' : target}` : ''}); ` +
    `signrelay does not follow redirects, which would send its credentials and files where nobody configured them: ${fix}`);
}

/** Where a Location header points, as far as is safe to print: the origin only (URL-parsed); a relative one is the same address. */
function redirectTarget(location: string | null): string | undefined {
  if (!location) return undefined;
  try {
    const url = new URL(location);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return /^[/?#.]/.test(location.trim()) || !location.includes(':') ? 'same address' : undefined;
  }
}

/** The two classifiers bound to one service, with the signatures its client and token manager call. */
export function failuresOf(names: ServiceNames) {
  return {
    /** No HTTP answer at all: DNS, refused or reset connection, TLS, our own timeout. */
    classifyNetworkFailure: (operation: string, err: unknown, timeoutSeconds?: number, context: { effect?: boolean | undefined } = {}) =>
      classifyNetworkFailure(names, operation, err, { ...context, timeoutSeconds }),
    badResponse: (operation: string, problem: string, cause?: unknown, context: { effect?: boolean } = {}) =>
      badAnswer(names, operation, problem, cause, context),
  };
}

/**
 * An answer's media type (`text/html`), for a message: the header is the remote side's text,
 * so anything but a plain `type/subtype` token is not repeated (empty).
 */
export function answerMediaType(contentType: string | null): string {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/.test(type) ? type : '';
}

/** What a 2xx body that should have been JSON was instead, for a bad-response message. */
export function notJsonProblem(contentType: string | null): string {
  const type = answerMediaType(contentType);
  if (type === 'text/html') return 'the body is an HTML page, not JSON (a proxy\'s or login page?)';
  return `the body is not valid JSON${type ? ` (${type})` : ''}`;
}

/** A 2xx body (bytes, or text already decoded) parsed as JSON; one that is not JSON is `bad`'s error (a bad response), never a SyntaxError. */
export function jsonBody(answer: { headers: Headers } & ({ body: Uint8Array } | { bodyText: string }), bad: (problem: string, cause: unknown) => Error): unknown {
  try {
    return JSON.parse('bodyText' in answer ? answer.bodyText : new TextDecoder().decode(answer.body));
  } catch (err) {
    throw bad(notJsonProblem(answer.headers.get('content-type')), err);
  }
}
