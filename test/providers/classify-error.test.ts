import { describe, expect, it } from 'vitest';
import { classifyHttpFailure, classifyNetworkFailure, parseRetryAfter } from '../../src/providers/secured-signing/classify-error.ts';

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
    const err = classifyHttpFailure('send doc1 for signing', failure(status), { now: NOW });
    expect(err.kind).toBe(kind);
    expect(err.code).toBe(code);
    expect(err.message).toContain('send doc1 for signing');
    expect(err.message).toContain(`HTTP ${status}`);
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
