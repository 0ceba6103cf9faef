// The pure classification of ServiceNow failures: the kind decides retry/alert, so every
// status the instance is documented to answer is pinned here, with what the message says.
import { describe, expect, it } from 'vitest';
import {
  badResponse, classifyHttpFailure, classifyNetworkFailure, parseRetryAfter, QUEUE_FULL_WAIT_SECONDS, serviceNowMessage, type ClassifyContext,
} from '../../src/servicenow/classify-error.ts';

const NOW = Date.parse('2026-11-03T10:00:00Z');
const SECRET = 'sn-password-never-shown-4711';

function failure(status: number, body: unknown = '', headers: Record<string, string> = {}) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { status, headers: { get: (name: string) => lower[name.toLowerCase()] ?? null }, bodyText: typeof body === 'string' ? body : JSON.stringify(body) };
}
const snBody = (message: string, detail: string | null = null) => ({ error: { message, detail }, status: 'failure' });
const ctx = (extra: Partial<ClassifyContext> = {}): ClassifyContext => ({ now: NOW, secrets: [SECRET], auth: 'basic', ...extra });

describe('classifyHttpFailure', () => {
  const cases: Array<[string, ReturnType<typeof failure>, Partial<ClassifyContext>, { kind: string; code: string; retryAfterSeconds?: number; message: RegExp }]> = [
    ['429 from a rate-limit rule honours Retry-After',
      failure(429, snBody('Rate limit exceeded', 'Rate limit of 100 requests per hour for Table API exceeded'), { 'Retry-After': '42', 'X-RateLimit-Rule': 'abc' }), {},
      { kind: 'transient', code: 'servicenow_rate_limited', retryAfterSeconds: 42, message: /Rate limit of 100 requests per hour.*sys_rate_limit_rules abc.*in 42 s/ }],
    ['429 with only X-RateLimit-Reset waits until the reset',
      failure(429, snBody('Rate limit exceeded'), { 'X-RateLimit-Reset': String(NOW / 1000 + 90), 'X-RateLimit-Rule': 'abc' }), {},
      { kind: 'transient', code: 'servicenow_rate_limited', retryAfterSeconds: 90, message: /in 90 s/ }],
    ['429 without headers is a full semaphore queue',
      failure(429, ''), {},
      { kind: 'transient', code: 'servicenow_rate_limited', retryAfterSeconds: QUEUE_FULL_WAIT_SECONDS, message: /request queue is full/ }],
    ['429 asking for a year is asked again within the hour (fault review F2: one answer held back every provider job for a year)',
      failure(429, snBody('Rate limit exceeded'), { 'Retry-After': '31536000', 'X-RateLimit-Rule': 'abc' }), {},
      { kind: 'transient', code: 'servicenow_rate_limited', retryAfterSeconds: 3600, message: /in 3600 s/ }],
    ['429 with a reset far ahead, the same',
      failure(429, snBody('Rate limit exceeded'), { 'X-RateLimit-Reset': String(NOW / 1000 + 10 * 365 * 86_400), 'X-RateLimit-Rule': 'abc' }), {},
      { kind: 'transient', code: 'servicenow_rate_limited', retryAfterSeconds: 3600, message: /in 3600 s/ }],
    // Fault review F6: a block page was taken for the instance's refusal — the delivery failed for good, and the operator was sent to its ACLs.
    ['403 with a proxy\'s HTML block page is not the instance\'s refusal: the work waits for the operator',
      failure(403, '<html><body>Website blocked by your organization\'s policy</body></html>', { 'Content-Type': 'text/html' }),
      { access: { subject: 'record sc_req_item/abc', permission: 'create on sys_attachment' } },
      { kind: 'config', code: 'servicenow_not_the_api', message: /^the answer to attach contract-signed\.pdf to sc_req_item\/abc was HTTP 403 with an HTML page, not ServiceNow's API.*servicenow\.instance_url.*a proxy or firewall/ }],
    ['403 whose Content-Type is not a media type: the header is not repeated',
      failure(403, '<html>blocked</html>', { 'Content-Type': `text/html\u202e${'x'.repeat(5000)}` }), {},
      { kind: 'config', code: 'servicenow_not_the_api', message: /^the answer to attach contract-signed\.pdf to sc_req_item\/abc was HTTP 403 with a body that is not JSON, not ServiceNow's API/ }],
    ['404 with an empty body from a load balancer, the same',
      failure(404, ''), {},
      { kind: 'config', code: 'servicenow_not_the_api', message: /HTTP 404 with an empty body, not ServiceNow's API/ }],
    ['503 with an HTTP-date Retry-After',
      failure(503, '', { 'Retry-After': new Date(NOW + 120_000).toUTCString() }), {},
      { kind: 'transient', code: 'servicenow_unavailable', retryAfterSeconds: 120, message: /unavailable/ }],
    ['500', failure(500, snBody('Internal server error')), {}, { kind: 'transient', code: 'servicenow_server_error', message: /Internal server error.*will retry/ }],
    ['502 with an HTML body', failure(502, '<html>Bad gateway</html>'), {}, { kind: 'transient', code: 'servicenow_server_error', message: /HTTP 502\)/ }],
    ['408', failure(408), {}, { kind: 'transient', code: 'servicenow_timeout', message: /will retry/ }],
    ['401 with basic auth names the user and password settings',
      failure(401, snBody('User Not Authenticated', 'Required to provide Auth information')), {},
      { kind: 'auth', code: 'servicenow_auth', message: /User Not Authenticated — Required to provide Auth information.*servicenow\.auth\.user and servicenow\.auth\.password/ }],
    ['401 with X-MFA_TOKEN: invalid mentions MFA',
      failure(401, snBody('User Not Authenticated'), { 'X-MFA_TOKEN': 'invalid' }), {},
      { kind: 'auth', code: 'servicenow_auth', message: /X-MFA_TOKEN: invalid.*servicenow\.auth\.type: oauth/ }],
    ['401 with OAuth names servicenow.auth', failure(401, snBody('User Not Authenticated')), { auth: 'oauth' },
      { kind: 'auth', code: 'servicenow_auth', message: /freshly obtained OAuth access token: check servicenow\.auth \(client_id, client_secret/ }],
    ['403 names the record and the missing permission',
      failure(403, snBody('Operation Failed', 'ACL Exception Create Failed due to security constraints')),
      { access: { subject: 'record sc_req_item/abc', permission: 'create on sys_attachment (and read on sc_req_item)' } },
      { kind: 'permanent', code: 'servicenow_forbidden', message: /ACL Exception.*lacks create on sys_attachment \(and read on sc_req_item\) for record sc_req_item\/abc/ }],
    ['404 names the record and the ACL possibility',
      failure(404, snBody('No Record found', "Record doesn't exist or ACL restricts the record retrieval")), { access: { subject: 'record incident/xyz', permission: 'read on incident' } },
      { kind: 'permanent', code: 'servicenow_not_found', message: /record incident\/xyz does not exist or the integration user cannot see it/ }],
    ['400 carries ServiceNow\'s message and detail', failure(400, snBody('Invalid parameter', 'Missing parameter: table_name')), {},
      { kind: 'permanent', code: 'servicenow_bad_request', message: /Invalid parameter — Missing parameter: table_name/ }],
    ['415', failure(415, snBody('Unsupported Media Type')), {}, { kind: 'permanent', code: 'servicenow_rejected', message: /HTTP 415/ }],
    // Fuzz review L1: a WAF's 400, a 418 or 451 block page, a 409 page failed the request for good.
    ['400 from a WAF ("Request Header Or Cookie Too Large") is not the instance\'s refusal',
      failure(400, '<html><head><title>400 Request Header Or Cookie Too Large</title></head></html>', { 'Content-Type': 'text/html' }), {},
      { kind: 'config', code: 'servicenow_not_the_api', message: /HTTP 400 with an HTML page, not ServiceNow's API/ }],
    ['418 and 451 block pages, the same', failure(418, '<html>I\'m a teapot</html>', { 'Content-Type': 'text/html' }), {},
      { kind: 'config', code: 'servicenow_not_the_api', message: /HTTP 418 with an HTML page/ }],
    ['451', failure(451, 'Unavailable For Legal Reasons', { 'Content-Type': 'text/plain' }), {},
      { kind: 'config', code: 'servicenow_not_the_api', message: /HTTP 451 with a body that is not JSON \(text\/plain\)/ }],
    ['409 with JSON that is not ServiceNow\'s error (a gateway\'s)', failure(409, { message: 'conflict' }), {},
      { kind: 'config', code: 'servicenow_not_the_api', message: /HTTP 409 with a JSON body that is not ServiceNow's error/ }],
    ['404 with a gateway\'s JSON is not "the record does not exist"', failure(404, { timestamp: 1, status: 404, path: '/api/now/table/x' }), {},
      { kind: 'config', code: 'servicenow_not_the_api', message: /HTTP 404 with a JSON body that is not ServiceNow's error/ }],
  ];
  it.each(cases)('%s', (_name, input, extra, expected) => {
    const error = classifyHttpFailure('attach contract-signed.pdf to sc_req_item/abc', input, ctx(extra));
    expect(error).toMatchObject({ kind: expected.kind, code: expected.code });
    expect(error.retryAfterSeconds).toBe(expected.retryAfterSeconds);
    expect(error.message).toMatch(expected.message);
    expect(error.message).toContain('attach contract-signed.pdf');
  });

  it('masks a secret the server echoes', () => {
    const error = classifyHttpFailure('read', failure(400, snBody(`bad password ${SECRET}`)), ctx());
    expect(error.message).not.toContain(SECRET);
    expect(error.message).toContain('[redacted]');
  });
});

describe('classifyNetworkFailure', () => {
  it('a timeout is transient and names the setting', () => {
    const err = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    expect(classifyNetworkFailure('find RITM1', err, 60)).toMatchObject({ kind: 'transient', code: 'servicenow_timeout', message: expect.stringMatching(/within 60 s \(servicenow\.timeout_seconds\)/) });
  });
  it('a refused connection is transient and names the instance URL setting', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(classifyNetworkFailure('find RITM1', err)).toMatchObject({ kind: 'transient', code: 'servicenow_unreachable', message: expect.stringMatching(/ECONNREFUSED.*servicenow\.instance_url/) });
  });
});

describe('helpers', () => {
  it.each([
    ['12', 12], [' 0 ', 0], [new Date(NOW + 5_000).toUTCString(), 5], [new Date(NOW - 5_000).toUTCString(), 0], ['soon', undefined],
  ] as const)('parseRetryAfter(%j) = %j', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
  it('reads both error shapes', () => {
    expect(serviceNowMessage(JSON.stringify(snBody('No Record found', 'gone')))).toEqual({ message: 'No Record found', detail: 'gone' });
    expect(serviceNowMessage(JSON.stringify({ error: 'server_error', error_description: 'access_denied' }))).toEqual({ message: 'server_error', detail: 'access_denied' });
    expect(serviceNowMessage('<html>')).toEqual({});
  });
  it('a bad 2xx body is transient', () => {
    expect(badResponse('find RITM1', 'the body is not JSON')).toMatchObject({ kind: 'transient', code: 'servicenow_bad_response' });
  });
});
