// The ServiceNow client against the simulator over real HTTP (basic auth): finding records
// (and refusing to guess), attaching with a hash that allows the idempotency check, work
// notes, and how each failure the instance can answer reaches the caller.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignrelayError } from '../../src/errors.ts';
import { startServiceNowSimulator, type ServiceNowSimulator, type ServiceNowSimulatorOptions } from '../../src/sandbox/servicenow/server.ts';
import { createServiceNowClient } from '../../src/servicenow/client.ts';
import { QUEUE_FULL_WAIT_SECONDS } from '../../src/servicenow/classify-error.ts';
import { manualClock, memoryTokenStore } from '../sandbox/fixtures.ts';
import { basicAuth, SEED, SN_PASSWORD, SN_USER, snConfig } from './fixtures.ts';

let sim: ServiceNowSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function setup(simOptions: Partial<ServiceNowSimulatorOptions> = {}, password = SN_PASSWORD) {
  const clock = manualClock();
  sim = await startServiceNowSimulator({ users: { [SN_USER]: SN_PASSWORD }, records: SEED, now: clock.now, ...simOptions });
  const client = createServiceNowClient({ config: snConfig(sim.url, basicAuth(password)), tokenStore: memoryTokenStore(), now: clock.now });
  return { sim, client, clock };
}

const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: SignrelayError) => err);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const pdf = (text: string) => new TextEncoder().encode(`%PDF-1.7\n% ${text}\n%%EOF\n`);
const tableCalls = (s: ServiceNowSimulator) => s.calls.filter((c) => c.path.startsWith('/api/now/table/'));

describe('findRecord', () => {
  it('finds a record by number with a narrow query', async () => {
    const { sim, client } = await setup();
    expect(await client.findRecord('sc_req_item', 'RITM0010001')).toEqual({ table: 'sc_req_item', sysId: SEED[0]!.sysId, number: 'RITM0010001' });
    const [call] = tableCalls(sim);
    expect(call).toMatchObject({ method: 'GET', path: '/api/now/table/sc_req_item', status: 200 });
    expect(call!.query).toMatchObject({ sysparm_query: 'number=RITM0010001', sysparm_fields: 'sys_id,number,sys_class_name', sysparm_limit: '2' });
    expect(call!.headers.authorization).toMatch(/^Basic /);
  });

  it('says when there is no such record', async () => {
    const { client } = await setup();
    const error = await caught(client.findRecord('sc_req_item', 'RITM0099999'));
    expect(error).toMatchObject({ kind: 'permanent', code: 'servicenow_record_not_found' });
    expect(error.message).toBe('no record RITM0099999 in sc_req_item (or the integration user cannot read it)');
  });

  it('refuses to guess between two records with the same number', async () => {
    const { client } = await setup();
    const error = await caught(client.findRecord('sc_task', 'SCTASK0000007'));
    expect(error).toMatchObject({ kind: 'permanent', code: 'servicenow_record_ambiguous' });
    expect(error.message).toMatch(/more than one record numbered SCTASK0000007 in sc_task.*ambiguous/);
  });

  it('rejects an answer whose number differs (a query the instance ignored)', async () => {
    const { sim, client } = await setup();
    sim.failNext('/api/now/table/sc_req_item', { status: 200, body: { result: [{ sys_id: 'f'.repeat(32), number: 'RITM0000001', sys_class_name: 'sc_req_item' }] } });
    const error = await caught(client.findRecord('sc_req_item', 'RITM0010001'));
    expect(error).toMatchObject({ kind: 'permanent', code: 'servicenow_number_mismatch' });
    expect(error.message).toMatch(/other records \(RITM0000001\)/);
  });

  it('returns the child table of an HR case (sys_class_name), found through its parent or task', async () => {
    const { sim, client } = await setup();
    const viaParent = await client.findRecord('sn_hr_core_case', 'HRC0001234');
    expect(viaParent).toEqual({ table: 'sn_hr_core_case_payroll', sysId: SEED[3]!.sysId, number: 'HRC0001234' });
    expect(await client.findRecord('task', 'HRC0001234')).toEqual(viaParent);
    await client.uploadAttachment({ table: viaParent.table, sysId: viaParent.sysId, fileName: 'offer-signed.pdf', bytes: pdf('offer') });
    expect(sim.records.find((r) => r.number === 'HRC0001234')!.attachments[0]!.tableName).toBe('sn_hr_core_case_payroll');
  });

  it('caches what it found, per table and number', async () => {
    const { sim, client } = await setup();
    const first = await client.findRecord('sc_req_item', 'RITM0010001');
    expect(await client.findRecord('sc_req_item', 'RITM0010001')).toBe(first);
    expect(tableCalls(sim)).toHaveLength(1);
    await client.findRecord('task', 'RITM0010001');
    expect(tableCalls(sim)).toHaveLength(2);
  });

  it('does not cache a miss: a record created later is found', async () => {
    const { sim, client } = await setup();
    await caught(client.findRecord('incident', 'INC0099999'));
    sim.addRecord({ table: 'incident', number: 'INC0099999' });
    expect((await client.findRecord('incident', 'INC0099999')).number).toBe('INC0099999');
  });

  it('refuses a number that would change the query, without asking the instance', async () => {
    const { sim, client } = await setup();
    expect(await caught(client.findRecord('sc_req_item', 'RITM0010001^ORnumber!=x'))).toMatchObject({ kind: 'permanent', code: 'servicenow_bad_number' });
    expect(sim.calls).toHaveLength(0);
  });
});

describe('getRecord', () => {
  it('reads a record by sys_id, and 404 is permanent', async () => {
    const { client } = await setup();
    expect(await client.getRecord('incident', SEED[2]!.sysId)).toEqual({ table: 'incident', sysId: SEED[2]!.sysId, number: 'INC0012345' });
    const error = await caught(client.getRecord('incident', 'e'.repeat(32)));
    expect(error).toMatchObject({ kind: 'permanent', code: 'servicenow_not_found' });
    expect(error.message).toMatch(/No Record found.*record incident\/e+ does not exist or the integration user cannot see it/);
  });
});

describe('attachments and notes', () => {
  it('uploads raw bytes and lists them with the same sha256, so a retry can see it is done', async () => {
    const { sim, client } = await setup();
    const ref = await client.findRecord('sc_req_item', 'RITM0010001');
    expect(await client.listAttachments(ref.table, ref.sysId, 'contract-signed.pdf')).toEqual([]);
    const bytes = pdf('signed by Ann');
    const uploaded = await client.uploadAttachment({ table: ref.table, sysId: ref.sysId, fileName: 'contract-signed.pdf', bytes });
    expect(uploaded).toMatchObject({ fileName: 'contract-signed.pdf', sizeBytes: bytes.length, hash: sha256(bytes), tableName: 'sc_req_item', tableSysId: ref.sysId });
    const post = sim.calls.find((c) => c.method === 'POST')!;
    expect(post).toMatchObject({ path: '/api/now/attachment/file', status: 201 });
    expect(post.query).toEqual({ table_name: 'sc_req_item', table_sys_id: ref.sysId, file_name: 'contract-signed.pdf' });
    expect(post.headers['content-type']).toBe('application/pdf');

    await client.uploadAttachment({ table: ref.table, sysId: ref.sysId, fileName: 'other.pdf', bytes: pdf('other') });
    const listed = await client.listAttachments(ref.table, ref.sysId, 'contract-signed.pdf');
    expect(listed).toEqual([uploaded]);
    expect(listed.some((a) => a.hash === sha256(bytes))).toBe(true);
    expect((await client.listAttachments(ref.table, ref.sysId)).map((a) => a.fileName).sort()).toEqual(['contract-signed.pdf', 'other.pdf']);
    expect(Buffer.from(sim.attachments.get(uploaded.sysId)!.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it('uploads a file on disk as it reads it, and compares the instance\'s hash with the one it was given', async () => {
    const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const clock = manualClock();
    sim = await startServiceNowSimulator({ users: { [SN_USER]: SN_PASSWORD }, records: SEED, now: clock.now });
    const client = createServiceNowClient({
      config: snConfig(sim.url, basicAuth(SN_PASSWORD)), tokenStore: memoryTokenStore(), now: clock.now,
      logger: { debug: () => undefined, warn: (message: string, fields?: Record<string, unknown>) => warnings.push({ message, fields }) },
    });
    const ref = await client.findRecord('sc_req_item', 'RITM0010001');
    const dir = mkdtempSync(join(tmpdir(), 'sn-upload-'));
    try {
      const bytes = pdf('signed on disk');
      writeFileSync(join(dir, 'signed.pdf'), bytes);
      const uploaded = await client.uploadAttachment({ table: ref.table, sysId: ref.sysId, fileName: 'disk.pdf', bytes: { path: join(dir, 'signed.pdf'), size: bytes.length }, sha256: sha256(bytes) });
      expect(uploaded).toMatchObject({ sizeBytes: bytes.length, hash: sha256(bytes) });
      expect(Buffer.from(sim.attachments.get(uploaded.sysId)!.bytes).equals(Buffer.from(bytes))).toBe(true);
      expect(warnings).toEqual([]);
      // A file that is not what its name says: the instance's hash differs, and it is said.
      await client.uploadAttachment({ table: ref.table, sysId: ref.sysId, fileName: 'odd.pdf', bytes: { path: join(dir, 'signed.pdf'), size: bytes.length }, sha256: 'f'.repeat(64) });
      expect(warnings).toEqual([expect.objectContaining({ message: 'servicenow stored an attachment whose hash differs from ours', fields: expect.objectContaining({ ours: 'f'.repeat(64), theirs: sha256(bytes) }) })]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('adds a work note, or a customer-visible comment', async () => {
    const { sim, client } = await setup();
    const ref = await client.findRecord('sc_req_item', 'RITM0010002');
    await client.addWorkNote(ref.table, ref.sysId, 'Signed by Ann Lee via Secured Signing, reference ABC123');
    await client.addWorkNote(ref.table, ref.sysId, 'Your document is signed.', 'comments');
    const record = sim.records.find((r) => r.number === 'RITM0010002')!;
    expect(record.journal.map(({ field, value, by }) => ({ field, value, by }))).toEqual([
      { field: 'work_notes', value: 'Signed by Ann Lee via Secured Signing, reference ABC123', by: SN_USER },
      { field: 'comments', value: 'Your document is signed.', by: SN_USER },
    ]);
    expect(sim.calls.filter((c) => c.method === 'PATCH').map((c) => c.body)).toEqual([
      { work_notes: 'Signed by Ann Lee via Secured Signing, reference ABC123' }, { comments: 'Your document is signed.' },
    ]);
  });

  it('404 when the record to attach to is gone', async () => {
    const { client } = await setup();
    const error = await caught(client.uploadAttachment({ table: 'sc_req_item', sysId: 'e'.repeat(32), fileName: 'x.pdf', bytes: pdf('x') }));
    expect(error).toMatchObject({ kind: 'permanent', code: 'servicenow_not_found' });
  });
});

describe('failures', () => {
  it('a wrong password is an auth error naming the settings, never the password', async () => {
    const { client } = await setup({}, 'wrong-password-0815');
    const error = await caught(client.findRecord('sc_req_item', 'RITM0010001'));
    expect(error).toMatchObject({ kind: 'auth', code: 'servicenow_auth' });
    expect(error.message).toMatch(/User Not Authenticated.*servicenow\.auth\.user and servicenow\.auth\.password/);
    expect(error.message).not.toContain('wrong-password-0815');
    expect(error.message).not.toMatch(/MFA/);
  });

  it('an MFA-protected user gets told about X-MFA_TOKEN', async () => {
    const { client } = await setup({ mfaUsers: [SN_USER] });
    expect((await caught(client.findRecord('sc_req_item', 'RITM0010001'))).message).toMatch(/X-MFA_TOKEN: invalid/);
  });

  it('a rate-limit rule answers 429 and the error carries its Retry-After', async () => {
    const { clock, client } = await setup({ rateLimit: { requestsPerWindow: 2, windowSeconds: 3600 } });
    const hour = 3_600_000;
    const intoWindow = 600_000;
    clock.advance(hour - (clock.now() % hour) + intoWindow); // ten minutes into an hour window
    await client.getRecord('incident', SEED[2]!.sysId);
    await client.getRecord('incident', SEED[2]!.sysId);
    const error = await caught(client.getRecord('incident', SEED[2]!.sysId));
    expect(error).toMatchObject({ kind: 'transient', code: 'servicenow_rate_limited', retryAfterSeconds: (hour - intoWindow) / 1000 });
    expect(error.message).toMatch(/Rate limit of 2 requests per hour for Table API exceeded/);
  });

  it('a 429 without headers (queue full) waits the default', async () => {
    const { sim, client } = await setup();
    sim.failNext('/api/now/attachment', { status: 429, body: '' });
    expect(await caught(client.listAttachments('incident', SEED[2]!.sysId))).toMatchObject({ kind: 'transient', retryAfterSeconds: QUEUE_FULL_WAIT_SECONDS });
  });

  it('500 is transient, and the next call goes through', async () => {
    const { sim, client } = await setup();
    sim.failNext('/api/now/table', { status: 500 });
    expect(await caught(client.findRecord('incident', 'INC0012345'))).toMatchObject({ kind: 'transient', code: 'servicenow_server_error' });
    expect((await client.findRecord('incident', 'INC0012345')).number).toBe('INC0012345');
  });

  it('403 on a forbidden table names the table and the read permission', async () => {
    const { client } = await setup({ forbiddenTables: ['incident'] });
    const error = await caught(client.findRecord('incident', 'INC0012345'));
    expect(error).toMatchObject({ kind: 'permanent', code: 'servicenow_forbidden' });
    expect(error.message).toMatch(/lacks read on incident for table incident/);
  });

  it('403 without create on sys_attachment names that permission and the record', async () => {
    const { client } = await setup({ forbiddenTables: ['sys_attachment'] });
    const ref = await client.findRecord('sc_req_item', 'RITM0010001');
    const error = await caught(client.uploadAttachment({ table: ref.table, sysId: ref.sysId, fileName: 'x.pdf', bytes: pdf('x') }));
    expect(error).toMatchObject({ kind: 'permanent', code: 'servicenow_forbidden' });
    expect(error.message).toMatch(new RegExp(`lacks create on sys_attachment \\(and read on sc_req_item\\) for record sc_req_item/${ref.sysId}`));
  });

  it('an instance that does not answer within timeout_seconds is transient', async () => {
    const { sim } = await setup();
    const hanging: typeof fetch = (_url, init) => new Promise((_resolve, reject) => {
      init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason));
    });
    const client = createServiceNowClient({ config: snConfig(sim.url, basicAuth(), { timeout_seconds: 1 }), tokenStore: memoryTokenStore(), fetch: hanging });
    const error = await caught(client.findRecord('incident', 'INC0012345'));
    expect(error).toMatchObject({ kind: 'transient', code: 'servicenow_timeout' });
    expect(error.message).toMatch(/within 1 s \(servicenow\.timeout_seconds\)/);
  });

  it('a lookup something waits on gives up at its own, shorter timeout (intake: a hung instance held every request mail for timeout_seconds)', async () => {
    const { sim } = await setup();
    const hanging: typeof fetch = (_url, init) => new Promise((_resolve, reject) => {
      init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason));
    });
    const client = createServiceNowClient({ config: snConfig(sim.url, basicAuth(), { timeout_seconds: 600 }), tokenStore: memoryTokenStore(), fetch: hanging });
    for (const lookup of [client.findRecord('incident', 'INC0012345', { timeoutMs: 100 }), client.getRecord('incident', 'a'.repeat(32), { timeoutMs: 100 }), client.findWatermark('Ref:MSG0001', { timeoutMs: 100 })]) {
      expect(await caught(lookup)).toMatchObject({ kind: 'transient', code: 'servicenow_timeout' });
    }
  });

  it('keeps a bounded number of looked-up records: every request\'s number passes through it for months', async () => {
    let asked = 0;
    const answering: typeof fetch = async (url) => {
      asked++;
      const number = decodeURIComponent(/number%3D([^&]+)|number=([^&]+)/.exec(String(url))!.slice(1).find(Boolean)!);
      return new Response(JSON.stringify({ result: [{ sys_id: 'a'.repeat(32), number, sys_class_name: 'incident' }] }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const client = createServiceNowClient({ config: snConfig('https://acme.service-now.com', basicAuth()), tokenStore: memoryTokenStore(), fetch: answering });
    await client.findRecord('incident', 'INC0000000');
    await client.findRecord('incident', 'INC0000000');
    expect(asked).toBe(1); // a number looked up is kept
    for (let n = 1; n <= 10_000; n++) await client.findRecord('incident', `INC${String(n).padStart(7, '0')}`);
    const before = asked;
    await client.findRecord('incident', 'INC0000000');
    expect(asked).toBe(before + 1); // not for ever: the first one was let go
  }, 60_000);

  it('an instance that is not there is transient', async () => {
    const { sim, client } = await setup();
    await sim.close();
    expect(await caught(client.findRecord('incident', 'INC0012345'))).toMatchObject({ kind: 'transient', code: 'servicenow_unreachable' });
  });

  it('a 200 that is not JSON (a hibernating instance) is transient', async () => {
    const { sim, client } = await setup();
    sim.failNext('/api/now/table', { status: 200, body: 'Your instance is hibernating' });
    expect(await caught(client.findRecord('incident', 'INC0012345'))).toMatchObject({ kind: 'transient', code: 'servicenow_bad_response' });
  });
});

/** This process's file descriptors open on `path`. */
function descriptorsOn(path: string): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed while we looked
    }
  });
}

describe('a file sent to an instance that answers before reading it', () => {
  it('is closed once the call is over (undici leaves an unread body open)', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'User Not Authenticated' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'sn-early-'));
    try {
      const path = join(dir, 'signed.pdf');
      writeFileSync(path, Buffer.alloc(8 * 1024 * 1024, 0x20));
      const client = createServiceNowClient({ config: snConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, basicAuth(SN_PASSWORD)), tokenStore: memoryTokenStore() });
      for (let call = 0; call < 3; call++) {
        await expect(client.uploadAttachment({ table: 'sc_req_item', sysId: 'a'.repeat(32), fileName: 'signed.pdf', bytes: { path, size: 8 * 1024 * 1024 } })).rejects.toMatchObject({ kind: 'auth' });
      }
      // Closing a read stream is asynchronous: wait for it (unclosed, they stay open for good).
      await expect.poll(() => descriptorsOn(path), { timeout: 30_000, interval: 20 }).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
