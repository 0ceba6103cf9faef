// The ServiceNow client against the simulator misbehaving the way an instance, or the
// network in between, does: a call that never answers, a 200 that is not the API's JSON,
// a connection reset mid-upload. Each ends, within the call's timeout, in a transient error
// naming the endpoint, and the instance shows whether the attachment was made — which the
// delivery's retry finds out from the record's attachment list (name + SHA-256).
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceNowConfig } from '../../src/config/schema.ts';
import type { SignrelayError } from '../../src/errors.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { createServiceNowClient } from '../../src/servicenow/client.ts';
import { memoryTokenStore } from '../sandbox/fixtures.ts';
import { fetchTimingOutAfter } from '../support/timeout-after.ts';
import { basicAuth, CLIENT_ID, CLIENT_SECRET, passwordGrant, SEED, SN_PASSWORD, SN_USER, snConfig } from '../servicenow/fixtures.ts';

let sim: ServiceNowSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/**
 * A 1 s timeout where a call is meant to hang; otherwise one an ordinary call on a busy
 * machine never meets. `carriedOut`: the hanging call's timeout waits until it holds
 * (test/support/timeout-after.ts), so that the call has reached the simulator.
 */
async function setup(auth: ServiceNowConfig['auth'] = basicAuth(), timeoutSeconds = 10, carriedOut?: (sim: ServiceNowSimulator) => boolean) {
  const started = await startServiceNowSimulator({ users: { [SN_USER]: SN_PASSWORD }, oauthClients: { [CLIENT_ID]: CLIENT_SECRET }, records: SEED });
  sim = started;
  const fetch = carriedOut ? fetchTimingOutAfter(() => carriedOut(started)) : undefined;
  const client = createServiceNowClient({ config: snConfig(started.url, auth, { timeout_seconds: timeoutSeconds }), tokenStore: memoryTokenStore(), fetch });
  return { sim: started, client };
}

const RECORD = { table: 'sc_req_item', sysId: SEED[0]!.sysId };
const FILE = 'contract-signed.pdf';
const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: SignrelayError) => err);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** About 512 KB, so that a reset lands while the upload is still being written. */
const signedPdf = () => new Uint8Array(Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(512 * 1024), Buffer.from('\n%%EOF\n')]));
const attach = (client: ReturnType<typeof createServiceNowClient>, bytes: Uint8Array) => client.uploadAttachment({ ...RECORD, fileName: FILE, bytes });
const ATTACH_ENDPOINT = `attach ${FILE} to sc_req_item/${SEED[0]!.sysId} (POST /api/now/attachment/file)`;

function expectClean(err: SignrelayError): void {
  expect(err.message).not.toContain(SN_PASSWORD);
  expect(err.message).not.toContain(CLIENT_SECRET);
  expect(err.message).not.toMatch(/\n\s+at /);
}

describe('the attachment POST', () => {
  it.each([
    ['never answers', { kind: 'hang' } as const, 'servicenow_timeout', `ServiceNow did not answer to ${ATTACH_ENDPOINT} within 1 s (servicenow.timeout_seconds); whether it was done is unknown; will retry`],
    ['answers with an HTML page', { kind: 'malformed' } as const, 'servicenow_bad_response', `ServiceNow answered oddly to ${ATTACH_ENDPOINT}: the body is an HTML page, not JSON (a proxy's or login page?); whether it was done is unknown; will retry (is servicenow.instance_url the instance, and is it awake?)`],
    ['answers with truncated JSON', { kind: 'malformed', body: 'truncated' } as const, 'servicenow_bad_response', /the body is not valid JSON \(application\/json\); whether it was done is unknown/],
  ])('%s: the outcome is unknown, and the attachment list shows it was made', async (_name, fault, code, message) => {
    const { sim, client } = fault.kind === 'hang' ? await setup(basicAuth(), 1, (s) => s.attachments.size === 1) : await setup();
    const bytes = signedPdf();
    sim.failNext('/api/now/attachment/file', fault);
    const err = await caught(attach(client, bytes));
    expect(err).toMatchObject({ kind: 'transient', code });
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
    expectClean(err);
    // What the delivery's retry looks for before uploading again: same name, same SHA-256.
    const listed = await client.listAttachments(RECORD.table, RECORD.sysId, FILE);
    expect(listed.map((a) => a.hash)).toEqual([sha256(bytes)]);
  });

  it('reset mid-upload: transient, nothing was attached, and the retry attaches once', async () => {
    const { sim, client } = await setup();
    const bytes = signedPdf();
    sim.failNext('/api/now/attachment/file', { kind: 'reset', afterBytes: 64 * 1024 });
    const err = await caught(attach(client, bytes));
    expect(err).toMatchObject({ kind: 'transient', code: 'servicenow_connection_lost' });
    expect(err.message).toMatch(new RegExp(`^the connection to ServiceNow broke \\((ECONNRESET|EPIPE|UND_ERR_SOCKET)\\) while trying to ${ATTACH_ENDPOINT.replace(/[()/.]/g, '\\$&')}; whether it was done is unknown; will retry$`));
    expectClean(err);
    expect(await client.listAttachments(RECORD.table, RECORD.sysId, FILE)).toEqual([]);

    await attach(client, bytes);
    expect(sim.attachments.size).toBe(1);
  });
});

describe('reads and notes', () => {
  it('an HTML page answering a record search is a plain bad response; the next search goes through', async () => {
    const { sim, client } = await setup();
    sim.failNext('/api/now/table/incident', { kind: 'malformed' });
    const err = await caught(client.findRecord('incident', 'INC0012345'));
    expect(err).toMatchObject({ kind: 'transient', code: 'servicenow_bad_response' });
    expect(err.message).toMatch(/^ServiceNow answered oddly to find INC0012345 in incident \(GET \/api\/now\/table\/incident\): the body is an HTML page/);
    expect(err.message).not.toMatch(/unknown/);
    expect(await client.findRecord('incident', 'INC0012345')).toMatchObject({ number: 'INC0012345' });
  });

  it('a reset before a read: transient, and the read is simply done again', async () => {
    const { sim, client } = await setup();
    sim.failNext('/api/now/table/incident', { kind: 'reset' });
    expect(await caught(client.findRecord('incident', 'INC0012345'))).toMatchObject({ kind: 'transient', code: 'servicenow_connection_lost' });
    expect(await client.findRecord('incident', 'INC0012345')).toMatchObject({ number: 'INC0012345' });
  });

  it('a work note whose answer never comes was added: its outcome is unknown', async () => {
    const { sim, client } = await setup(basicAuth(), 1, (s) => s.records[0]!.journal.length === 1);
    sim.failNext('/api/now/table/sc_req_item', { kind: 'hang' });
    const err = await caught(client.addWorkNote(RECORD.table, RECORD.sysId, 'Signed.'));
    expect(err).toMatchObject({ kind: 'transient', code: 'servicenow_timeout' });
    expect(err.message).toMatch(/add a work note to sc_req_item\/\w+ \(PATCH \/api\/now\/table\/sc_req_item\/\w+\) within 1 s .*whether it was done is unknown/);
    expect(sim.records[0]!.journal.map((j) => j.value)).toEqual(['Signed.']);
  });

  it('the OAuth token call has the same timeout, and a new grant follows', async () => {
    const { sim, client } = await setup(passwordGrant(), 1);
    sim.failNext('/oauth_token.do', { kind: 'hang' });
    const err = await caught(client.findRecord('incident', 'INC0012345'));
    expect(err).toMatchObject({ kind: 'transient', code: 'servicenow_timeout' });
    expect(err.message).toMatch(/within 1 s \(servicenow\.timeout_seconds\); will retry$/);
    expectClean(err);
    expect(await client.findRecord('incident', 'INC0012345')).toMatchObject({ number: 'INC0012345' });
  });
});
