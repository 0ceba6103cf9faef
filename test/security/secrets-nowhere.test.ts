// Secrets never leave the places they must be. The daemon runs the suite's main flows on
// real Dovecot and both simulators with known, distinctive secrets, logging at debug level
// through the logger `signrelay run` builds (masking secretsOf(config)): a request sent,
// signed and delivered; a rejected request answered; Secured Signing and ServiceNow
// refusing the credentials with error bodies that echo them back (as a careless server
// might), so the errors are logged and stored in jobs.last_error; the Secured Signing
// refresh-token rotation and, after a restart with ServiceNow OAuth, a password grant, a
// refresh, an attachment refused for good (logged, stored, mailed as an alert) and a
// refused token request. Then every secret — as it is and
// in its obvious encodings (base64 of user:password for basic auth, SASL PLAIN, base64,
// URL- and JSON-escaped), plus every credential the simulators saw on the wire (bearer
// tokens, rotated refresh tokens) — is searched for in all log output (every level, every
// field), in every row of every table of the database (tables from sqlite_master), in the
// data dir's other files (not the database files and PDF blobs), and in what signrelay
// sent out (mails, work notes).
//
// By design, OAuth tokens are stored in the database so that a rotated refresh token
// survives a restart: the columns oauth_tokens.access_token and oauth_tokens.refresh_token
// are the one exception, and the test checks that they really hold tokens (so the
// exception is needed) and that nothing else in that table does.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.ts';
import { secretsOf } from '../../src/config/secrets-of.ts';
import { startDaemon } from '../../src/daemon.ts';
import { createLogger } from '../../src/log.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getRequest, listRequests, type RequestRow } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import {
  ALERTS_TO, API_KEY, API_SECRET, IMAP_PASSWORD, SN_CLIENT_ID, SN_CLIENT_SECRET, SN_PASSWORD, SN_USER,
  buildMail, contractPdf, sendRequest, startWorld, type World,
} from '../integration/world.ts';
import { looseModes } from './loose-modes.ts';
import { credentialNeedles, needlesFor, scanDatabase, scanDirectory, scanText, wireCredentials, type Needle } from './secret-scan.ts';
import { securedSigningOf } from '../support/provider-config.ts';

const SMTP_USER = 'signrelay-smtp';
const SMTP_PASSWORD = 'smtp-pass+do/not&log%5e1d';
/** The columns that hold OAuth tokens by design (see the header). */
const TOKEN_COLUMNS = ['oauth_tokens.access_token', 'oauth_tokens.refresh_token'];

let world: World;
let config: Config;
const logs: string[] = [];

function startProductionLikeDaemon(withConfig: Config): void {
  config = withConfig;
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const logger = createLogger({ level: 'debug', format: 'json', stream, secrets: secretsOf(config) });
  world.daemon = startDaemon({ config, logger, livenessIntervalMs: 2_000, retryBaseMs: 50 });
}

beforeAll(async () => {
  // An SMTP login too, which the relay checks: the password travels in AUTH, and must appear nowhere else.
  world = await startWorld({ smtpAuth: { user: SMTP_USER, pass: SMTP_PASSWORD } });
  startProductionLikeDaemon({ ...world.config, smtp: { ...world.config.smtp, user: SMTP_USER, password: SMTP_PASSWORD } });
}, 180_000);
afterAll(async () => {
  await world?.close();
});

const db = () => world.daemon!.db;
const requestFor = (record: string): RequestRow | undefined => listRequests(db()).find((r) => r.recordNumber === record);
const lastErrorOf = (record: string, kind: string) => {
  const request = requestFor(record);
  return request ? jobsForRequest(db(), request.id).find((j) => j.kind === kind && j.lastError)?.lastError : undefined;
};
const echo = (...values: string[]) => values.join(' / ');
/**
 * The refused calls' errors as the jobs stored them. The restart below runs jobs that waited
 * for an operator's fix at once, and they succeed (the faults were one-off), which clears
 * their errors from the table: the scan reads them as they were stored.
 */
const storedErrors: string[] = [];
const keepError = (error: string | undefined) => {
  if (error) storedErrors.push(error);
  return error;
};

/** `beforeSigning` (a fault to inject) runs once the record heard the request was sent, so the fault meets the delivery. */
async function signedAndMailed(record: string, beforeSigning = () => {}): Promise<RequestRow> {
  const { request, reference } = await sendRequest(world, record);
  await waitUntil(world.daemon!.events, () => world.servicenow.records.find((r) => r.number === record)!.journal.some((j) => j.value.startsWith('Sent for signature')), { timeoutMs: 10_000, what: `${record}'s sent note` });
  beforeSigning();
  await world.simulator.complete(reference); // its completion mail goes to returns+TOKEN@
  return request;
}

describe('with known secrets, the main flows', () => {
  it('deliver a request (Secured Signing refresh token spent and rotated)', async () => {
    const request = await signedAndMailed('RITM0010001');
    await waitUntil(world.daemon!.events, () => getRequest(db(), request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'RITM0010001 delivered' });
  }, 180_000);

  it('answer a rejected request', async () => {
    const before = world.smtp.messages.length;
    await world.dovecot.deliver('sign@corp.example', await buildMail({ subject: 'RITM0010002 without a PDF', text: 'Signer: Ann Lee <ann.lee@example.com>' }));
    await world.smtp.waitFor(before + 1, 15_000);
  });

  it('log and store Secured Signing refusing the credentials', async () => {
    // An API call carries the key (and an HMAC of the secret): what a careless server could echo.
    const body = { ResponseStatus: { ErrorCode: 'Unauthorized', Message: `Invalid credentials ${echo(API_KEY, API_SECRET)}` } };
    world.simulator.failNext('/Document/Uploader', { status: 401, times: 2, body });
    await world.dovecot.deliver('sign@corp.example', await buildMail({ subject: 'Contract for RITM0010003', text: 'Signer: Ann Lee <ann.lee@example.com>', attachments: [{ filename: 'c.pdf', content: await contractPdf() }] }));
    keepError(await waitUntil(world.daemon!.events, () => lastErrorOf('RITM0010003', 'submit'), { timeoutMs: 15_000, what: 'the refused upload recorded' }));
  }, 180_000);

  it('log and store ServiceNow refusing basic auth', async () => {
    const basic = Buffer.from(`${SN_USER}:${SN_PASSWORD}`).toString('base64');
    await signedAndMailed('RITM0010004', () => world.servicenow.failNext('/api/now/table', { status: 401, body: { error: { message: 'User Not Authenticated', detail: `Authorization: Basic ${basic} ${echo(SN_PASSWORD)}` }, status: 'failure' } }));
    keepError(await waitUntil(world.daemon!.events, () => lastErrorOf('RITM0010004', 'complete'), { timeoutMs: 20_000, what: 'the refused delivery recorded' }));
  }, 180_000);

  it('deliver with ServiceNow OAuth after a restart (password grant)', async () => {
    await world.stopDaemon();
    startProductionLikeDaemon({
      ...config,
      servicenow: { ...config.servicenow, auth: { type: 'oauth', grant: 'password', client_id: SN_CLIENT_ID, client_secret: SN_CLIENT_SECRET, user: SN_USER, password: SN_PASSWORD } },
    });
    const request = await signedAndMailed('RITM0010005');
    await waitUntil(world.daemon!.events, () => getRequest(db(), request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'RITM0010005 delivered' });
  }, 180_000);

  it('refresh the ServiceNow token, then log, store and alert a refused attachment (403)', async () => {
    const alerts = world.smtp.messages.length;
    const request = await signedAndMailed('RITM0010006', () => world.servicenow.failNext('/api/now/attachment/file', { status: 403, body: { error: { message: 'Operation Failed', detail: `ACL denied ${echo(SN_USER, SN_PASSWORD, SN_CLIENT_SECRET)}` }, status: 'failure' } }));
    await waitUntil(world.daemon!.events, () => getRequest(db(), request.id)?.state === 'failed', { timeoutMs: 20_000, what: 'RITM0010006 failed' });
    await world.smtp.waitFor((m) => world.smtp.messages.indexOf(m) >= alerts && m.envelope.rcptTo.some((r) => r.address === ALERTS_TO), 10_000);
    // The access token (2 s) was due by now: refreshed with the refresh token, not a new password grant.
    const grants = world.servicenow.calls.filter((c) => c.path === '/oauth_token.do' && c.status === 200).map((c) => (c.body as Record<string, string>).grant_type);
    expect(grants).toEqual(expect.arrayContaining(['password', 'refresh_token']));
  }, 180_000);

  it('log and store ServiceNow refusing the OAuth client', async () => {
    const request = await signedAndMailed('INC0012345', () => {
      world.servicenow.revokeTokens({ refresh: true });
      world.servicenow.failNext('/oauth_token.do', { status: 401, times: 4, body: { error: 'access_denied', error_description: `client ${echo(SN_CLIENT_ID, SN_CLIENT_SECRET, SN_PASSWORD)} refused` } });
    });
    await waitUntil(world.daemon!.events, () => jobsForRequest(db(), request.id).find((j) => j.kind === 'complete' && j.lastError), { timeoutMs: 20_000, what: 'the refused token request recorded' });
  }, 180_000);
});

describe('afterwards, no secret is found', () => {
  let needles: Needle[];

  beforeAll(() => {
    const configured: Array<[string, string | undefined]> = [
      ['IMAP password (requests and returns accounts)', IMAP_PASSWORD], ['SMTP password', SMTP_PASSWORD],
      ['Secured Signing API key', API_KEY], ['Secured Signing API secret', API_SECRET], ['Secured Signing refresh token (configured)', securedSigningOf(config).refresh_token],
      ['ServiceNow password', SN_PASSWORD], ['ServiceNow client secret', SN_CLIENT_SECRET],
    ];
    // Every secret the configuration has must be among them: a new secret setting cannot be forgotten here.
    expect(secretsOf(config).filter((s) => !configured.some(([, v]) => v === s))).toEqual([]);
    needles = [
      ...configured.flatMap(([label, value]) => needlesFor(label, value!)),
      ...credentialNeedles('ServiceNow', SN_USER, SN_PASSWORD), ...credentialNeedles('ServiceNow OAuth client', SN_CLIENT_ID, SN_CLIENT_SECRET),
      ...credentialNeedles('IMAP requests', 'sign', IMAP_PASSWORD), ...credentialNeedles('IMAP returns', 'returns', IMAP_PASSWORD),
      ...credentialNeedles('SMTP', SMTP_USER, SMTP_PASSWORD),
      ...wireCredentials('Secured Signing', world.simulator.calls), ...wireCredentials('ServiceNow', world.servicenow.calls),
      ...storedTokens(),
    ];
  });

  it('in the log output, at any level, in any field', () => {
    const lines = logs.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    // The flows above did log their failures.
    expect(lines.some((l) => /Secured Signing|secured signing/.test(JSON.stringify(l)) && /401/.test(JSON.stringify(l)) && l.level !== 'debug')).toBe(true);
    expect(lines.some((l) => /ServiceNow/.test(JSON.stringify(l)) && /401/.test(JSON.stringify(l)) && l.level !== 'debug')).toBe(true);
    expect(scanText('log', logs.join(''), needles)).toEqual([]);
  });

  it('in any row of any table but the OAuth token columns', () => {
    const { findings, rowsByTable } = scanDatabase(db(), needles, TOKEN_COLUMNS);
    expect(findings).toEqual([]);
    for (const table of ['requests', 'events', 'jobs', 'messages', 'oauth_tokens']) expect(rowsByTable[table], table).toBeGreaterThan(0);
    expect(storedErrors).toEqual([expect.stringMatching(/401/), expect.stringMatching(/401/)]);
    expect(scanText('stored job errors', storedErrors.join('\n'), needles)).toEqual([]);
    // The exception is needed (the token columns do hold the live tokens) and is no wider than them.
    expect(scanDatabase(db(), storedTokens(), []).findings.map((f) => f.where.replace(/ \(row \d+\)$/, '')).sort())
      .toEqual(expect.arrayContaining(['oauth_tokens.access_token', 'oauth_tokens.refresh_token']));
  });

  it('in the data dir\'s other files', () => {
    const { findings, scanned } = scanDirectory(config.storage.data_dir, needles, (path) => /^signrelay\.db(-wal|-shm)?$/.test(path) || /^blobs\/.*\.pdf$/.test(path));
    expect(scanned).toContain('signrelay.pid');
    expect(findings).toEqual([]);
  });

  it('and the data dir the daemon wrote is private: directories 0700, files 0600', () => {
    expect(looseModes(config.storage.data_dir)).toEqual([]);
  });

  it('in what signrelay sent out: replies, alerts, work notes', () => {
    const mails = world.smtp.messages.flatMap((m, i) => [
      ...scanText(`mail ${i + 1}`, m.raw.toString('latin1'), needles),
      ...scanText(`mail ${i + 1} (decoded)`, `${m.parsed?.subject ?? ''}\n${m.parsed?.text ?? ''}\n${String(m.parsed?.html ?? '')}`, needles),
    ]);
    const notes = world.servicenow.records.flatMap((r) => r.journal.flatMap((j) => scanText(`work note on ${r.number}`, j.value, needles)));
    expect([...mails, ...notes]).toEqual([]);
  });
});

/** The live tokens, read from where they are kept by design. */
function storedTokens(): Needle[] {
  const rows = db().prepare('SELECT name, access_token, refresh_token FROM oauth_tokens').all() as Array<{ name: string; access_token: string | null; refresh_token: string | null }>;
  return rows.flatMap((r) => [
    ...(r.access_token ? [{ label: `${r.name} access token (stored)`, value: r.access_token }] : []),
    ...(r.refresh_token ? [{ label: `${r.name} refresh token (stored)`, value: r.refresh_token }] : []),
  ]);
}
