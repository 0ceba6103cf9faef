// The ServiceNow simulator enforces what the documentation says the instance does; each
// test talks raw HTTP (no signrelay client) and breaks one rule, or checks one shape.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_RULE_ID } from '../../src/sandbox/servicenow/rate-limit.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { manualClock } from './fixtures.ts';

const USER = 'signrelay.integration';
const PASSWORD = 'sn-pass-7d1c';
const CLIENT_ID = 'client-0001';
const CLIENT_SECRET = 'client-secret-0001';
const RITM = 'a0000000000000000000000000000001';
const clock = manualClock();
let sim: ServiceNowSimulator;

beforeAll(async () => {
  sim = await startServiceNowSimulator({
    users: { [USER]: PASSWORD, limited: 'limited-pw' }, oauthClients: { [CLIENT_ID]: CLIENT_SECRET }, accessTokenLifetimeSeconds: 60, now: clock.now,
    records: [
      { table: 'sc_req_item', number: 'RITM0010001', sysId: RITM },
      { table: 'incident', number: 'INC0012345' },
    ],
    forbiddenTables: ['incident'],
  });
});
afterAll(() => sim.close());

const basic = (user = USER, password = PASSWORD) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
async function call(path: string, init: RequestInit & { auth?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.auth !== null) headers.set('Authorization', init.auth ?? basic());
  headers.set('Accept', 'application/json');
  const response = await fetch(`${sim.url}${path}`, { ...init, headers });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}
const UNAUTHENTICATED = { error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' }, status: 'failure' };
const form = (fields: Record<string, string>) => ({ method: 'POST', auth: null, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

describe('authentication', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong password', basic(USER, 'nope')],
    ['an unknown user', basic('someone', PASSWORD)],
    ['an unknown bearer', 'Bearer not-a-token'],
  ])('refuses %s with 401 in ServiceNow\'s shape', async (_name, auth) => {
    const answer = await call('/api/now/table/sc_req_item?sysparm_query=number=RITM0010001', { auth });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual(UNAUTHENTICATED);
  });

  it('oauth_token.do refuses a JSON body, like the real one', async () => {
    const answer = await call('/oauth_token.do', {
      method: 'POST', auth: null, headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, username: USER, password: PASSWORD }),
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error_description: 'access_denied', error: 'server_error' });
  });

  it('grants by form, the bearer works until it expires, refresh gives a new one', async () => {
    const granted = await call('/oauth_token.do', form({ grant_type: 'password', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, username: USER, password: PASSWORD }));
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ token_type: 'Bearer', expires_in: 59, scope: 'useraccount', access_token: expect.any(String), refresh_token: expect.any(String) });
    const bearer = `Bearer ${granted.body.access_token}`;
    expect((await call(`/api/now/table/sc_req_item/${RITM}`, { auth: bearer })).status).toBe(200);
    clock.advance(60_000);
    expect((await call(`/api/now/table/sc_req_item/${RITM}`, { auth: bearer })).body).toEqual(UNAUTHENTICATED);
    const refreshed = await call('/oauth_token.do', form({ grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: granted.body.refresh_token }));
    expect(refreshed.body.access_token).not.toBe(granted.body.access_token);
    expect((await call(`/api/now/table/sc_req_item/${RITM}`, { auth: `Bearer ${refreshed.body.access_token}` })).status).toBe(200);
  });

  it('refuses a wrong client secret and an unknown grant', async () => {
    expect((await call('/oauth_token.do', form({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: 'x' }))).status).toBe(401);
    expect((await call('/oauth_token.do', form({ grant_type: 'magic', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }))).status).toBe(400);
  });
});

describe('Table API', () => {
  it('answers strings, [] for no match, and silently ignores query parts it cannot use', async () => {
    const found = await call('/api/now/table/sc_req_item?sysparm_query=number=RITM0010001&sysparm_fields=sys_id,number');
    expect(found.body).toEqual({ result: [{ sys_id: RITM, number: 'RITM0010001' }] });
    expect((await call('/api/now/table/sc_req_item?sysparm_query=number=RITM0099999')).body).toEqual({ result: [] });
    const ignored = await call('/api/now/table/sc_req_item?sysparm_query=numbr=RITM0099999');
    expect(ignored.body.result.map((r: { number: string }) => r.number)).toEqual(['RITM0010001']);
  });

  it('a forbidden table answers 403', async () => {
    const answer = await call('/api/now/table/incident?sysparm_query=number=INC0012345');
    expect(answer.status).toBe(403);
    expect(answer.body.status).toBe('failure');
  });

  it('PATCH work_notes lands in the record\'s journal', async () => {
    const answer = await call(`/api/now/table/sc_req_item/${RITM}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ work_notes: 'hello' }) });
    expect(answer.status).toBe(200);
    expect(sim.records.find((r) => r.sysId === RITM)!.journal.at(-1)).toMatchObject({ field: 'work_notes', value: 'hello', by: USER });
  });
});

describe('Attachment API', () => {
  const bytes = new TextEncoder().encode('%PDF-1.7 simulated\n');
  const sha = createHash('sha256').update(bytes).digest('hex');
  const post = (query: string, headers: Record<string, string> = { 'Content-Type': 'application/pdf' }) =>
    call(`/api/now/attachment/file?${query}`, { method: 'POST', headers, body: bytes });

  it.each([
    ['table_name', `table_sys_id=${RITM}&file_name=a.pdf`],
    ['table_sys_id', 'table_name=sc_req_item&file_name=a.pdf'],
    ['file_name', `table_name=sc_req_item&table_sys_id=${RITM}`],
  ])('400 when %s is missing', async (missing, query) => {
    const answer = await post(query);
    expect(answer.status).toBe(400);
    expect(answer.body.error.detail).toContain(missing);
  });

  it('400 without a Content-Type, 404 for an unknown record', async () => {
    expect((await post(`table_name=sc_req_item&table_sys_id=${RITM}&file_name=a.pdf`, {})).status).toBe(400);
    expect((await post(`table_name=sc_req_item&table_sys_id=${'e'.repeat(32)}&file_name=a.pdf`)).body.error.message).toBe('No Record found');
  });

  it('201 with Location, string fields and the sha256; listed with X-Total-Count; downloadable', async () => {
    const answer = await post(`table_name=sc_req_item&table_sys_id=${RITM}&file_name=signed.pdf`);
    expect(answer.status).toBe(201);
    const result = answer.body.result;
    expect(result).toMatchObject({ file_name: 'signed.pdf', table_name: 'sc_req_item', table_sys_id: RITM, size_bytes: String(bytes.length), content_type: 'application/pdf', hash: sha });
    expect(answer.headers.get('location')).toBe(result.download_link);
    const list = await call(`/api/now/attachment?sysparm_query=table_sys_id=${RITM}^file_name=signed.pdf`);
    expect(list.headers.get('x-total-count')).toBe('1');
    expect(list.body.result[0].sys_id).toBe(result.sys_id);
    const file = await fetch(result.download_link, { headers: { Authorization: basic() } });
    expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('multipart upload: fields first, the file part last', async () => {
    const good = new FormData();
    good.append('table_name', 'sc_req_item');
    good.append('table_sys_id', RITM);
    good.append('uploadFile', new Blob([bytes], { type: 'application/pdf' }), 'multi.pdf');
    const answer = await call('/api/now/attachment/upload', { method: 'POST', body: good });
    expect(answer.status).toBe(201);
    expect(answer.body.result).toMatchObject({ file_name: 'multi.pdf', content_type: 'application/pdf', hash: sha });

    const fileFirst = new FormData();
    fileFirst.append('uploadFile', new Blob([bytes], { type: 'application/pdf' }), 'multi.pdf');
    fileFirst.append('table_name', 'sc_req_item');
    fileFirst.append('table_sys_id', RITM);
    expect((await call('/api/now/attachment/upload', { method: 'POST', body: fileFirst })).status).toBe(400);
  });
});

describe('rate limiting and injected faults', () => {
  it('429 with Retry-After, X-RateLimit-* and ServiceNow\'s body once the rule is used up', async () => {
    const limited = await startServiceNowSimulator({ users: { [USER]: PASSWORD }, rateLimit: { requestsPerWindow: 2, windowSeconds: 3600 }, now: () => Date.parse('2026-11-03T10:15:00Z') });
    try {
      const get = () => fetch(`${limited.url}/api/now/table/incident`, { headers: { Authorization: basic() } });
      expect((await get()).status).toBe(200);
      expect((await get()).status).toBe(200);
      const refused = await get();
      expect(refused.status).toBe(429);
      expect(Object.fromEntries(['retry-after', 'x-ratelimit-limit', 'x-ratelimit-reset', 'x-ratelimit-rule'].map((h) => [h, refused.headers.get(h)]))).toEqual({
        'retry-after': String(45 * 60), 'x-ratelimit-limit': '2', 'x-ratelimit-reset': String(Date.parse('2026-11-03T11:00:00Z') / 1000), 'x-ratelimit-rule': RATE_LIMIT_RULE_ID,
      });
      expect(await refused.json()).toEqual({ error: { message: 'Rate limit exceeded', detail: 'Rate limit of 2 requests per hour for Table API exceeded' }, status: 'failure' });
    } finally {
      await limited.close();
    }
  });

  it('failNext answers the given status the given number of times', async () => {
    sim.failNext('/api/now/attachment', { status: 503, retryAfter: 7, times: 2 });
    const first = await call('/api/now/attachment');
    expect([first.status, first.headers.get('retry-after')]).toEqual([503, '7']);
    expect((await call('/api/now/attachment')).status).toBe(503);
    expect((await call('/api/now/attachment')).status).toBe(200);
  });
});
