import { describe, expect, it } from 'vitest';
import { classifyHttpFailure, classifyNetworkFailure, parseRetryAfter } from '../../src/providers/secured-signing/classify-error.ts';
import { classifyHttpFailure as classifySignicat } from '../../src/providers/signicat/classify-error.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const failure = (status: number, body: unknown = '', headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers(headers),
  bodyText: typeof body === 'string' ? body : JSON.stringify(body),
});
const ss = (message: string, code = 'ValidationException') => ({ ResponseStatus: { ErrorCode: code, Message: message } });

describe('classifyHttpFailure', () => {
  const cases: Array<[number, string, string]> = [
    [500, 'transient', 'provider_server_error'],
    [502, 'transient', 'provider_server_error'],
    [503, 'transient', 'provider_unavailable'],
    [429, 'transient', 'provider_rate_limited'],
    [408, 'transient', 'provider_timeout'],
    [401, 'auth', 'provider_auth'],
    [403, 'auth', 'provider_auth'],
    [404, 'permanent', 'provider_not_found'],
    [400, 'permanent', 'provider_rejected'],
    [413, 'permanent', 'provider_rejected'],
  ];
  it.each(cases)('HTTP %i → %s (%s)', (status, kind, code) => {
    const err = classifyHttpFailure('send doc1 for signing', failure(status, ss('Refused', `Http${status}`)), { now: NOW });
    expect(err.kind).toBe(kind);
    expect(err.code).toBe(code);
    expect(err.message).toContain('send doc1 for signing');
    expect(err.message).toContain(`HTTP ${status}`);
  });

  // Fuzz review M1, L1: a proxy's 404 page to a DELETE was "withdrawn already", a WAF's 418 a refusal for good.
  const pages: Array<[number, unknown, Record<string, string>, RegExp]> = [
    [404, '<html><body><h1>404 Not Found</h1>nginx</body></html>', { 'Content-Type': 'text/html' }, /HTTP 404 with an HTML page, not Secured Signing's API/],
    [404, '', {}, /HTTP 404 with an empty body/],
    [404, { timestamp: 1, status: 404, error: 'Not Found', path: '/Document/R' }, {}, /HTTP 404 with a JSON body that is not Secured Signing's error/],
    [400, '<html>Request Header Or Cookie Too Large</html>', { 'Content-Type': 'text/html' }, /HTTP 400 with an HTML page/],
    [403, '<html>Blocked by policy</html>', { 'Content-Type': 'text/html' }, /HTTP 403 with an HTML page/],
    [409, 'conflict', { 'Content-Type': 'text/plain' }, /HTTP 409 with a body that is not JSON \(text\/plain\)/],
    [418, '<html>teapot</html>', {}, /HTTP 418/],
    [422, { message: 'no Route matched with those values' }, {}, /HTTP 422 with a JSON body/],
    [451, '<html>Unavailable For Legal Reasons</html>', {}, /HTTP 451/],
  ];
  it.each(pages)('HTTP %i without a ResponseStatus is not the API\'s word: the work waits for the operator', (status, body, headers, message) => {
    const err = classifyHttpFailure('withdraw document R from signing', failure(status, body, headers), { now: NOW, effect: true });
    expect(err).toMatchObject({ kind: 'config', code: 'provider_not_the_api', outcomeUnknown: false });
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/^the answer to withdraw document R from signing was HTTP \d+ .*provider\.environment.*The work waits and is tried again$/);
  });

  it('a 403 in the OAuth shape (a bearer token refused) is still the credentials\'', () => {
    expect(classifyHttpFailure('x', failure(403, { error: 'insufficient_scope', error_description: 'scope missing' }), { now: NOW })).toMatchObject({ kind: 'auth', code: 'provider_auth' });
    expect(classifyHttpFailure('x', failure(401, '<html>401</html>'), { now: NOW })).toMatchObject({ kind: 'auth', code: 'provider_auth' });
  });

  it('carries the ServiceStack message of a 4xx', () => {
    const err = classifyHttpFailure('send doc1 for signing', failure(400, ss('DueDate is required')), { now: NOW });
    expect(err.message).toContain('DueDate is required');
    expect(err.message).toContain('ValidationException');
  });

  it('tells the operator what to check on 401', () => {
    const err = classifyHttpFailure('upload the document c.pdf', failure(401, ss('Session expired or invalid', 'TokenException')), { now: NOW });
    expect(err.message).toMatch(/api_key.*api_secret.*referer/);
    expect(err.message).toContain('run `signrelay authorize`');
  });

  it('masks secrets the server echoes', () => {
    const err = classifyHttpFailure('x', failure(400, ss('bad secret TOPSECRET-123 given')), { now: NOW, secrets: ['TOPSECRET-123'] });
    expect(err.message).not.toContain('TOPSECRET-123');
    expect(err.message).toContain('[redacted]');
  });

  it('honours Retry-After in seconds and as an HTTP date', () => {
    expect(classifyHttpFailure('x', failure(429, '', { 'Retry-After': '17' }), { now: NOW }).retryAfterSeconds).toBe(17);
    const date = new Date(NOW + 90_000).toUTCString();
    expect(classifyHttpFailure('x', failure(503, '', { 'Retry-After': date }), { now: NOW }).retryAfterSeconds).toBe(90);
    expect(classifyHttpFailure('x', failure(429), { now: NOW }).retryAfterSeconds).toBeUndefined();
  });

  it('waits at most an hour, whatever Retry-After asks (a year, more seconds than a date holds, a date far ahead)', () => {
    for (const value of ['31536000', '99999999999999', '9'.repeat(400), new Date(NOW + 3 * 365 * 86_400_000).toUTCString()]) {
      expect(classifyHttpFailure('x', failure(429, '', { 'Retry-After': value }), { now: NOW }).retryAfterSeconds).toBe(3600);
    }
    expect(parseRetryAfter('3600', NOW)).toBe(3600);
    expect(parseRetryAfter(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0);
  });

  it('a server error to a call that changes something leaves its outcome unknown (a gateway may have given up after the service did it); 503 and 429 do not', () => {
    for (const status of [500, 502, 504]) {
      const err = classifyHttpFailure('remind the signer of document R', failure(status, '<html>Gateway Timeout</html>'), { now: NOW, effect: true });
      expect(err).toMatchObject({ kind: 'transient', code: 'provider_server_error', outcomeUnknown: true });
      expect(err.message).toMatch(new RegExp(`^Secured Signing failed to remind the signer of document R \\(HTTP ${status}\\); whether it was done is unknown; a fault on the service side, will retry$`));
      expect(classifyHttpFailure('read the status of document R', failure(status), { now: NOW })).toMatchObject({ outcomeUnknown: false });
    }
    expect(classifyHttpFailure('x', failure(503), { now: NOW, effect: true })).toMatchObject({ code: 'provider_unavailable', outcomeUnknown: false });
  });

  it('ignores a body that is not JSON', () => {
    const err = classifyHttpFailure('x', failure(500, '<html>Server Error</html>'), { now: NOW });
    expect(err.message).not.toContain('<html>');
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0], ['120', 120], [' 5 ', 5], ['soon', undefined], [new Date(NOW - 5000).toUTCString(), 0],
  ] as Array<[string, number | undefined]>)('%s → %s', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe('classifyNetworkFailure', () => {
  it('a refused connection is transient and names the code', () => {
    const err = classifyNetworkFailure('read the account information', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
    expect(err.kind).toBe('transient');
    expect(err.code).toBe('provider_unreachable');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('a timeout is transient and names the setting', () => {
    const err = classifyNetworkFailure('download document r1', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 60);
    expect(err).toMatchObject({ kind: 'transient', code: 'provider_timeout' });
    expect(err.message).toContain('provider.timeout_seconds');
  });
});

describe('Signicat classifyHttpFailure', () => {
  const problem = (status: number, detail: string) => ({ type: 'about:blank', title: 'Not Found', status, detail, code: 'NOT_FOUND' });
  it('a problem document is the API\'s word: a 404 is gone, a 400 a refusal', () => {
    expect(classifySignicat('withdraw signing order O', failure(404, problem(404, 'Order O was not found')), { now: NOW, secrets: [] }))
      .toMatchObject({ kind: 'permanent', code: 'provider_not_found' });
    expect(classifySignicat('create the order', failure(400, { title: 'Constraint Violation', violations: [{ propertyPath: 'x', message: 'bad' }] }), { now: NOW, secrets: [] }))
      .toMatchObject({ kind: 'permanent', code: 'provider_rejected' });
  });

  // Fuzz review M1, L1: a 404 page answering the status read before the DELETE was "withdrawn already".
  it.each([
    [404, '<html><h1>404 Not Found</h1></html>', /HTTP 404 with a body that is not JSON, not Signicat's API/],
    [404, { message: 'no Route matched with those values' }, /HTTP 404 with a JSON body that is not Signicat's error/],
    [400, '', /HTTP 400 with an empty body/],
    [403, '<html>blocked</html>', /HTTP 403/],
    [418, '<html>teapot</html>', /HTTP 418/],
    [451, 'Unavailable For Legal Reasons', /HTTP 451 with a body that is not JSON/],
  ])('HTTP %i without a problem document is not the API\'s word', (status, body, message) => {
    const err = classifySignicat('read the status of task T of order O', failure(status, body), { now: NOW, secrets: [] });
    expect(err).toMatchObject({ kind: 'config', code: 'provider_not_the_api' });
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/provider\.base_url/);
  });
});
