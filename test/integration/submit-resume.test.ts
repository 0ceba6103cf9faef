// Crash safety of the `submit` job: an upload or send that fails is retried without being
// repeated, and a send whose outcome was lost (the process died after the provider
// accepted it) is resolved by asking the provider, never by sending again.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSubmitHandler } from '../../src/intake/submit-request.ts';
import { startJobRunner, type JobRunner } from '../../src/jobs/job-runner.ts';
import { silentLogger } from '../../src/log.ts';
import { stampPdf } from '../../src/pdf/pdf-tasks.ts';
import type { SigningProvider } from '../../src/providers/provider.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { startSecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { BlobStore } from '../../src/store/blobs.ts';
import { addEvent, listEvents } from '../../src/store/events.ts';
import { enqueueJob, jobsForRequest } from '../../src/store/jobs.ts';
import { loadToken, saveToken } from '../../src/store/oauth-tokens.ts';
import { openDatabase, type Db } from '../../src/store/open-database.ts';
import { getDocuments, getRequest, insertRequest, setDocumentStamped, transition } from '../../src/store/requests.ts';
import { contractPdf } from './world.ts';
import { configSchema } from '../../src/config/schema.ts';
import { securedSigningOf } from '../support/provider-config.ts';

const CONFIG = configSchema.parse({
  mailboxes: { requests: { host: 'h', user: 'u', password: 'p', address: 'sign@corp.example' }, returns: { address: 'returns@corp.example', folder: 'Returns' } },
  smtp: { host: 'h', from: 'signrelay <sign@corp.example>' },
  provider: { api_key: 'k', api_secret: 's', referer: 'https://corp.example' },
  servicenow: { instance_url: 'https://acme.service-now.com', auth: { type: 'basic', user: 'u', password: 'p' } },
  alerts: { to: ['admins@corp.example'] },
  routes: { default: {} },
});

type Simulator = Awaited<ReturnType<typeof startSecuredSigningSimulator>>;
let simulator: Simulator;
let dataDir: string;
let db: Db;
let runner: JobRunner | undefined;

beforeEach(async () => {
  simulator = await startSecuredSigningSimulator({ apiKey: 'k-resume', apiSecret: 's-resume-secret', referer: 'https://corp.example', oauth: true });
  dataDir = mkdtempSync(join(tmpdir(), 'signrelay-resume-'));
  db = openDatabase(dataDir);
});

afterEach(async () => {
  await runner?.stop();
  runner = undefined;
  db.close();
  await simulator.close();
});

function client(): SigningProvider {
  const provider = securedSigningOf({ provider: configSchema.shape.provider.parse({
    environment: simulator.url, oauth_url: simulator.oauthUrl, api_key: 'k-resume', api_secret: 's-resume-secret',
    referer: 'https://corp.example', refresh_token: simulator.issueTokens().refreshToken,
  }) });
  return createSecuredSigningClient({
    config: provider,
    tokenStore: { load: () => loadToken(db, 'secured-signing'), save: (t) => saveToken(db, 'secured-signing', t, new Date()) },
  });
}

async function stampedRequest(signers = [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' }]): Promise<string> {
  const blobs = new BlobStore(dataDir);
  const token = 'abcdefghijklmnopqrst';
  const original = await contractPdf();
  const stamped = await stampPdf(original, {
    token, returnAddress: `returns+${token}@corp.example`, recipientLetter: 'C', signers,
    request: { record: 'RITM0010001' }, stamping: configSchema.shape.stamping.parse(undefined),
  });
  const now = new Date();
  const id = insertRequest(db, {
    token, state: 'received', route: 'default', provider: 'secured-signing', requester: 'helen@corp.example', subject: 'RITM0010001',
    messageId: null, record: { number: 'RITM0010001' }, signers, dueDate: '2099-01-31',
    documents: [{ fileName: 'contract.pdf', originalSha256: blobs.put(original) }],
  }, now);
  setDocumentStamped(db, id, 1, blobs.put(stamped), `contract--signrelay-${token}.pdf`);
  transition(db, id, 'stamped', now);
  enqueueJob(db, { kind: 'submit', requestId: id }, now);
  return id;
}

function run(provider: SigningProvider): JobRunner {
  runner = startJobRunner({
    db, logger: silentLogger(), retryBaseMs: 20,
    handlers: {
      submit: createSubmitHandler({ db, blobs: new BlobStore(dataDir), config: CONFIG, provider, logger: silentLogger() }),
      mail: { async run() { throw new Error('no replies here'); } },
    },
  });
  return runner;
}

/** The provider accepts the first send, then the process "dies" before recording it (`meanwhile` happens while it is down). */
function crashingOnceAfterSend(meanwhile: () => void = () => {}): SigningProvider {
  const real = client();
  let crashed = false;
  return {
    ...real,
    async send(input) {
      const result = await real.send(input);
      if (crashed) return result;
      crashed = true;
      meanwhile();
      throw new Error('simulated crash after the provider accepted the send');
    },
  };
}

const succeeded = (suffix: string) => simulator.calls.filter((c) => c.path.endsWith(suffix) && c.status === 200).length;

describe('the submit job', () => {
  it('retries a failed upload and a failed send, doing each once in the end', async () => {
    const id = await stampedRequest();
    simulator.failNext('/Document/Uploader', { status: 503, retryAfter: 0 });
    simulator.failNext('/SmartTag/Send', { status: 500 });
    run(client());
    await expect.poll(() => getRequest(db, id)?.state, { timeout: 60_000 }).toBe('sent');
    expect(succeeded('/Document/Uploader/abcdefghijklmnopqrst-1')).toBe(1);
    expect(succeeded('/SmartTag/Send')).toBe(1);
    expect(jobsForRequest(db, id)[0]).toMatchObject({ state: 'done', attempts: 3 });
  });

  it('after a crash that lost the send result, asks the provider instead of sending again', async () => {
    const id = await stampedRequest();
    run(crashingOnceAfterSend());
    await expect.poll(() => getRequest(db, id)?.state, { timeout: 60_000 }).toBe('sent');
    expect(succeeded('/SmartTag/Send')).toBe(1);
    expect(simulator.calls.some((c) => c.path.includes('/Document/Status/'))).toBe(true);
    const resolved = listEvents(db, id).find((e) => e.detail?.effect === 'send' && e.detail.phase === 'done');
    expect(resolved?.detail).toMatchObject({ resolvedBy: 'status' });
  });

  it('a send confirmed after the crash notes at once whoever signed meanwhile, once', async () => {
    const id = await stampedRequest([{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' }, { firstName: 'Bob', lastName: 'Ray', email: 'bob@example.com' }]);
    // The first signer signs while the process is down.
    run(crashingOnceAfterSend(() => simulator.signNext(getDocuments(db, id)[0]!.providerRef!)));
    await expect.poll(() => getRequest(db, id)?.state, { timeout: 60_000 }).toBe('sent');
    // In the transaction after the send's: by the time the job is done, Ann is noted, Bob not.
    await expect.poll(() => jobsForRequest(db, id).find((j) => j.kind === 'submit')?.state, { timeout: 60_000 }).toBe('done');
    expect(db.prepare('SELECT position FROM signer_notes WHERE request_id = ?').all(id)).toEqual([{ position: 0 }]);
  });

  // Review (outside services misbehaving): after a send whose answer was lost, one status
  // answer of the wrong shape was read as "not sent": the send went again, was refused as
  // already sent, and the request failed although its signers were invited.
  it.each<[string, unknown]>([
    ['an empty object', {}],
    ['null', null],
    ['a ServiceStack error object', { ResponseStatus: { ErrorCode: 'Busy', Message: 'try later' } }],
  ])('after a lost send, a status answer that is not a Document (%s) is asked again, never taken for "not sent"', async (_name, body) => {
    const id = await stampedRequest();
    simulator.failNext('/SmartTag/Send', { kind: 'drop' });
    simulator.failNext('/Document/Status', { status: 200, body });
    run(client());
    await expect.poll(() => getRequest(db, id)?.state, { timeout: 60_000 }).toBe('sent');
    expect(simulator.calls.filter((c) => c.path.endsWith('/SmartTag/Send')).map((c) => c.status)).toEqual([0]);
  });

  it('a send refused after a lost one, because the status said "not started" a moment too early, is settled by the status, not failed', async () => {
    const id = await stampedRequest();
    simulator.failNext('/SmartTag/Send', { kind: 'drop' });
    // The service's status lags its send: the first look says not started.
    simulator.failNext('/Document/Status', { status: 200, body: { Reference: 'x', Status: 'NotStarted', Signers: [] } });
    run(client());
    await expect.poll(() => getRequest(db, id)?.state, { timeout: 60_000 }).toBe('sent');
    expect(simulator.calls.filter((c) => c.path.endsWith('/SmartTag/Send')).map((c) => c.status)).toEqual([0, 400]);
    const phases = listEvents(db, id).filter((e) => e.detail?.effect === 'send').map((e) => e.detail!.phase);
    expect(phases.at(-1)).toBe('done');
    expect(jobsForRequest(db, id).filter((j) => j.kind === 'mail').map((j) => (j.payload as { purpose: string }).purpose)).not.toContain('notice');
  });

  it('a 429 asking to wait longer than a date can hold is recorded and asked again within the hour, not a crash of the runner (fault review F2)', async () => {
    const id = await stampedRequest();
    simulator.failNext('/Document/Uploader', { status: 429, headers: { 'Retry-After': '9'.repeat(400) } });
    run(client());
    await expect.poll(() => jobsForRequest(db, id)[0]?.attempts, { timeout: 60_000 }).toBe(1);
    const job = jobsForRequest(db, id)[0]!;
    expect(job).toMatchObject({ state: 'pending', lastError: expect.stringMatching(/busy, will retry in 3600 s/) });
    expect(Date.parse(job.runAt) - Date.now()).toBeLessThanOrEqual(3_600_000);
  });

  // Time review: a due date checked once, at intake; a request sent after it had passed (a
  // `Due:` of today written late in the UTC day, an outage, a retry days later) was refused by
  // the provider, failed for good, and `signrelay retry` failed the same way.
  it('a request whose due date passed before it could be sent goes out with the next day\'s, said in its audit trail', async () => {
    const id = await stampedRequest();
    db.prepare('UPDATE requests SET due_date = ? WHERE id = ?').run('2020-01-31', id);
    run(client());
    await expect.poll(() => getRequest(db, id)?.state, { timeout: 60_000 }).toBe('sent');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(getRequest(db, id)!.dueDate).toBe(tomorrow);
    expect(simulator.documents.get(getDocuments(db, id)[0]!.providerRef!)!.dueDate).toBe(`${tomorrow}T23:59:59.000Z`);
    expect(listEvents(db, id).find((e) => e.detail?.dueMoved)?.detail).toMatchObject({ dueMoved: { from: '2020-01-31', to: tomorrow } });
  });

  it('resumes after a restart: a pending job on disk is picked up by a new runner', async () => {
    const id = await stampedRequest();
    simulator.failNext('/Document/Uploader', { status: 503, retryAfter: 3600, times: 1 });
    run(client());
    await expect.poll(() => jobsForRequest(db, id)[0]?.attempts, { timeout: 60_000 }).toBe(1);
    await runner!.stop();
    db.close();
    // "Restart": reopen the database; make the job due now (the operator's `retry` will do this).
    db = openDatabase(dataDir);
    db.prepare('UPDATE jobs SET run_at = ?').run(new Date(0).toISOString());
    run(client());
    await expect.poll(() => getRequest(db, id)?.state, { timeout: 60_000 }).toBe('sent');
    expect(succeeded('/Document/Uploader/abcdefghijklmnopqrst-1')).toBe(1);
    expect(succeeded('/SmartTag/Send')).toBe(1);
    expect(getDocuments(db, id)[0]?.providerRef).toBeTruthy();
  });

  it('fails the request, with the reason, when the provider refuses for good', async () => {
    const id = await stampedRequest();
    simulator.failNext('/SmartTag/Send', { status: 400, body: { ResponseStatus: { ErrorCode: 'BadRequest', Message: 'DueDate is required' } } });
    run(client());
    await expect.poll(() => getRequest(db, id)?.state, { timeout: 60_000 }).toBe('failed');
    expect(getRequest(db, id)?.reason).toContain('DueDate is required');
    expect(succeeded('/SmartTag/Send')).toBe(0);
    // Nobody is left in the dark: the requester gets a notice, the operators an alert.
    const mails = jobsForRequest(db, id).filter((j) => j.kind === 'mail').map((j) => j.payload as { purpose: string; message: { to: unknown; subject: string } });
    expect(mails.map((m) => [m.purpose, m.message.to])).toEqual([['notice', 'helen@corp.example'], ['alert', ['admins@corp.example']]]);
    expect(mails[0]!.message.subject).toMatch(/Not sent for signature/);
  });

  it('given up while its send\'s outcome is unknown: the requester is not told "not sent", the alert says the signers may have been invited', async () => {
    const id = await stampedRequest();
    const handler = createSubmitHandler({ db, blobs: new BlobStore(dataDir), config: CONFIG, provider: client(), logger: silentLogger() });
    // The send was tried and never answered (a timeout, 12 times over): its intent stands alone.
    transition(db, id, 'uploaded', new Date());
    addEvent(db, { requestId: id, kind: 'effect', detail: { effect: 'send', phase: 'intent', references: ['REF'] } }, new Date());
    handler.onGiveUp!(jobsForRequest(db, id).find((j) => j.kind === 'submit')!, 'gave up after 12 attempts: Secured Signing did not answer');
    expect(getRequest(db, id)?.state).toBe('failed');
    const mails = jobsForRequest(db, id).filter((j) => j.kind === 'mail').map((j) => j.payload as { purpose: string; message: { text: string } });
    expect(mails.map((m) => m.purpose)).toEqual(['alert']);
    expect(mails[0]!.message.text).toMatch(/Whether the send went through is unknown.*the signers may have been invited\. The requester was not told/s);
  });
});
