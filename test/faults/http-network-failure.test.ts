// The shared classification of HTTP calls that got no usable answer (src/http): which
// failures are blips to retry and which an operator must fix, and what the message says —
// the service, the call, the setting, whether the effect may have happened; never a stack.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { classifyNetworkFailure, notJsonProblem, withoutLogins, type ServiceNames } from '../../src/http/network-failure.ts';
import { SECURED_SIGNING } from '../../src/providers/secured-signing/classify-error.ts';
import { SERVICENOW } from '../../src/servicenow/classify-error.ts';

/** What Node's fetch throws: TypeError("fetch failed") with the socket/TLS error as its cause. */
const fetchFailed = (code: string, message = code) => new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
const timeout = () => new DOMException('The operation was aborted due to timeout', 'TimeoutError');
const OPERATION = 'attach x-signed.pdf to sc_req_item/abc (POST /api/now/attachment/file)';

describe.each([
  ['Secured Signing', SECURED_SIGNING, 'provider', /provider\.environment/],
  ['ServiceNow', SERVICENOW, 'servicenow', /servicenow\.instance_url/],
] as Array<[string, ServiceNames, string, RegExp]>)('%s', (service, names, prefix, urlSetting) => {
  it.each([
    ['our timeout', timeout(), 'transient', 'timeout', new RegExp(`^${service} did not answer to attach .*\\(POST /api/now/attachment/file\\) within 30 s \\(${prefix}\\.timeout_seconds\\); whether it was done is unknown; will retry$`)],
    ['a reset mid-upload', fetchFailed('ECONNRESET'), 'transient', 'connection_lost', /broke \(ECONNRESET\) while trying to attach .*; whether it was done is unknown; will retry$/],
    ['a socket closed by the other side', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }), 'transient', 'connection_lost', /UND_ERR_SOCKET/],
    ['a refused connection', fetchFailed('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), 'transient', 'unreachable', /could not reach .* \(ECONNREFUSED\) to attach/],
    ['a self-signed certificate', fetchFailed('DEPTH_ZERO_SELF_SIGNED_CERT'), 'config', 'tls_verify', new RegExp(`${prefix}\\.ca_file: /path/ca\\.pem .*NODE_EXTRA_CA_CERTS=/path/ca\\.pem`)],
    ['a certificate from an unknown CA', fetchFailed('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'config', 'tls_verify', /could not be verified \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/],
    ['an expired certificate', fetchFailed('CERT_HAS_EXPIRED'), 'config', 'tls_verify', /CERT_HAS_EXPIRED/],
    ['a certificate for another host', fetchFailed('ERR_TLS_CERT_ALTNAME_INVALID'), 'config', 'tls_verify', /for another host name: check/],
    ['https spoken to a plain port', fetchFailed('ERR_SSL_WRONG_VERSION_NUMBER'), 'config', 'tls_failed', /right scheme \(https\) and port/],
  ] as Array<[string, unknown, string, string, RegExp]>)('%s', (_name, err, kind, code, message) => {
    const classified = classifyNetworkFailure(names, OPERATION, err, { timeoutSeconds: 30, effect: true });
    expect(classified).toMatchObject({ kind, code: `${prefix}_${code}` });
    expect(classified.message).toMatch(message);
    expect(classified.message).not.toMatch(/\n\s+at /);
    expect(classified.cause).toBe(err);
  });

  it('takes the login out of a URL undici quotes: the message is shown and logged', () => {
    const url = 'http://admin:SuperSecretPw7@127.0.0.1:42125/api/now/table/sc_req_item?sysparm_limit=1';
    const err = new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url}`);
    const message = classifyNetworkFailure(names, OPERATION, err).message;
    expect(message).toContain('includes credentials: http://127.0.0.1:42125/api/now/table/sc_req_item?sysparm_limit=1)');
    expect(message).not.toMatch(/admin|SuperSecretPw7/);
  });

  it('names the setting that holds the address when the fault may be in it', () => {
    expect(classifyNetworkFailure(names, OPERATION, fetchFailed('ENOTFOUND')).message).toMatch(urlSetting);
    expect(classifyNetworkFailure(names, OPERATION, fetchFailed('SELF_SIGNED_CERT_IN_CHAIN')).message).toMatch(urlSetting);
  });

  it('says the outcome is unknown only for a call that changes something and may have reached the service', () => {
    expect(classifyNetworkFailure(names, OPERATION, timeout(), { effect: false }).message).not.toMatch(/unknown/);
    // A refused connection never reached the service: nothing can have happened.
    expect(classifyNetworkFailure(names, OPERATION, fetchFailed('ECONNREFUSED'), { effect: true }).message).not.toMatch(/unknown/);
  });

  it('marks the outcome unknown (a retry could repeat it) only for a lost answer to a call that changes something', () => {
    expect(classifyNetworkFailure(names, OPERATION, timeout(), { effect: true }).outcomeUnknown).toBe(true);
    expect(classifyNetworkFailure(names, OPERATION, fetchFailed('ECONNRESET'), { effect: true }).outcomeUnknown).toBe(true);
    expect(classifyNetworkFailure(names, OPERATION, timeout(), { effect: false }).outcomeUnknown).toBe(false);
    expect(classifyNetworkFailure(names, OPERATION, fetchFailed('ECONNREFUSED'), { effect: true }).outcomeUnknown).toBe(false);
    expect(classifyNetworkFailure(names, OPERATION, fetchFailed('DEPTH_ZERO_SELF_SIGNED_CERT'), { effect: true }).outcomeUnknown).toBe(false);
  });
});

describe('withoutLogins', () => {
  it.each([
    ['http://admin:pw@host:1/a?b=c', 'http://host:1/a?b=c'],
    ['https://user@host/x', 'https://host/x'],
    ['https://u:p%40ss@host', 'https://host'],
    ['a https://u:p@h1 and http://v:q@h2/', 'a https://h1 and http://h2/'],
    ['https://host/path?mail=a@b.example', 'https://host/path?mail=a@b.example'], // an @ after the host is no login
    ['connect ECONNREFUSED 127.0.0.1:1', 'connect ECONNREFUSED 127.0.0.1:1'],
  ])('%s', (text, expected) => {
    expect(withoutLogins(text)).toBe(expected);
  });
});

describe('notJsonProblem', () => {
  it.each([
    ['text/html; charset=utf-8', /an HTML page, not JSON \(a proxy's or login page\?\)/],
    ['application/json', /not valid JSON \(application\/json\)/],
    [null, /^the body is not valid JSON$/],
  ])('%s', (contentType, expected) => {
    expect(notJsonProblem(contentType)).toMatch(expected);
  });
});

describe('timeout_seconds', () => {
  const provider = { api_key: 'k', api_secret: 's', referer: 'https://corp.example' };
  const servicenow = { instance_url: 'https://acme.service-now.com', auth: { type: 'basic', user: 'u', password: 'p' } };

  it.each([['provider', provider], ['servicenow', servicenow]] as const)('%s: 60 s by default, and capped: a hung call holds up the jobs behind it', (section, base) => {
    const schema = configSchema.shape[section];
    expect(schema.parse(base).timeout_seconds).toBe(60);
    expect(schema.parse({ ...base, timeout_seconds: 600 }).timeout_seconds).toBe(600);
    const refused = schema.safeParse({ ...base, timeout_seconds: 3_000_000 });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({ path: ['timeout_seconds'], message: expect.stringMatching(/at most 600 seconds/) });
  });
});
