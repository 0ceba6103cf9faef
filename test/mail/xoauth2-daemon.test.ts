// The daemon and `signrelay check` with OAuth2 mail accounts: both watchers log in to a
// real Dovecot with XOAUTH2 (a Microsoft 365 app-only token, the return account inheriting
// the request account's app), the reply goes out through an SMTP server that takes XOAUTH2
// with a Google token (rotated refresh tokens saved in the database), `signrelay check`
// says how it logged in, a refused grant is ✗ with the setting — and no secret, token or
// SASL string appears in any log line or output.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { secretsOf } from '../../src/config/secrets-of.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { createLogger } from '../../src/log.ts';
import { loadToken } from '../../src/store/oauth-tokens.ts';
import { startMailOAuthSimulator, type MailOAuthSimulator } from '../../src/sandbox/mail-oauth/server.ts';
import { bareEnv, linesOf, STACK_FRAME } from '../cli/helpers.ts';
import { runInProcess } from '../cli/in-process.ts';
import { buildMail } from '../integration/world.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { waitUntil } from '../support/wait-for-event.ts';

const TENANT = 'contoso-daemon';
const MS_SECRET = 'ms-daemon-secret-do-not-log-2c4e';
const G_SECRET = 'g-daemon-secret-do-not-log-9d0a';

let sim: MailOAuthSimulator;
let dovecot: DovecotHandle;
let sink: SmtpSink;
let configured: string;
let configText: string;
let configFile: string;
let config: Config;
let daemon: Daemon | undefined;
const logs: string[] = [];
const env = () => ({ MS_SECRET, G_SECRET, G_REFRESH: configured });

beforeAll(async () => {
  sim = await startMailOAuthSimulator({
    microsoft: { tenant: TENANT, apps: [{ clientId: 'signrelay-app', clientSecret: MS_SECRET, roles: ['IMAP.AccessAsApp'], mailboxes: ['sign', 'returns'] }] },
    google: { clients: { 'gmail-client': G_SECRET }, rotateRefreshTokens: true },
  });
  const { clientId, clientSecret } = sim.introspectionClient;
  const unknownPassword = randomBytes(12).toString('hex');
  dovecot = await startDovecot({
    users: { sign: unknownPassword, returns: unknownPassword },
    oauth2: Object.fromEntries(['sign', 'returns'].map((user) => [user, { introspectionUrl: sim.introspectionUrl('imap', user), clientId, clientSecret }])),
  });
  sink = await startSmtpSink({ xoauth2: (user, token) => sim.provider.refusal('smtp', user, token) === null });
  configured = sim.provider.issueGoogleRefreshToken('gmail-client', 'relay@gmail.example');
  const dir = mkdtempSync(join(tmpdir(), 'signrelay-xoauth2-'));
  configText = `
mailboxes:
  requests:
    host: 127.0.0.1
    port: ${dovecot.imapPort}
    tls: false
    user: sign
    address: sign@corp.example
    auth: {type: oauth2, provider: microsoft, tenant: ${TENANT}, client_id: signrelay-app, client_secret: "\${MS_SECRET}", token_url: "${sim.microsoftTokenUrl(TENANT)}"}
  returns: {address: returns@corp.example, user: returns}
smtp:
  host: 127.0.0.1
  port: ${sink.port}
  tls: false
  user: relay@gmail.example
  from: "signrelay <sign@corp.example>"
  auth: {type: oauth2, provider: google, client_id: gmail-client, client_secret: "\${G_SECRET}", refresh_token: "\${G_REFRESH}", token_url: "${sim.googleTokenUrl}"}
provider: {environment: "http://127.0.0.1:9/web", api_key: k, api_secret: unused-secret, refresh_token: unused-refresh, referer: https://corp.example}
servicenow: {instance_url: "http://127.0.0.1:9", auth: {type: basic, user: u, password: unused-password}}
routes:
  default: {allowed_senders: ["*@corp.example"]}
records: {RITM: sc_req_item}
storage: {data_dir: ${join(dir, 'data')}}
`;
  configFile = join(dir, 'signrelay.yaml');
  writeFileSync(configFile, configText);
  config = parseConfigText(configText, configFile, { env: env() });
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  daemon = startDaemon({ config, logger: createLogger({ level: 'debug', format: 'json', stream, secrets: secretsOf(config) }), livenessIntervalMs: 2_000, retryBaseMs: 50 });
}, 180_000);

afterAll(async () => {
  await daemon?.stop();
  await sink?.close();
  await dovecot?.stop();
  await sim?.close();
});

/** Every secret and credential of the run, and the XOAUTH2 strings made of them. */
function allSecrets(): string[] {
  const tokens = sim.provider.issued;
  const sasl = ['sign', 'returns', 'relay@gmail.example'].flatMap((user) => tokens.map((t) => Buffer.from(`user=${user}\x01auth=Bearer ${t}\x01\x01`).toString('base64')));
  return [MS_SECRET, G_SECRET, configured, ...tokens, ...sasl];
}

describe('the daemon with XOAUTH2 mail accounts', () => {
  it('watches both mailboxes over XOAUTH2 and sends its reply over XOAUTH2', async () => {
    await waitUntil(daemon!.events, () => ['connected', 'idle'].includes(daemon!.requestWatcher.status().state) && ['connected', 'idle'].includes(daemon!.returnWatcher.status().state), {
      what: 'both watchers connected', timeoutMs: 10_000, describe: () => [daemon!.requestWatcher.status(), daemon!.returnWatcher.status()],
    });
    expect(dovecot.log()).toMatch(/Login: user=<sign>, method=XOAUTH2/);
    expect(dovecot.log()).toMatch(/Login: user=<returns>, method=XOAUTH2/);

    await dovecot.deliver('sign@corp.example', await buildMail({ subject: 'RITM0010001 no pdf', text: 'Signer: Ann Lee <ann@example.com>' }));
    const reply = await sink.waitFor((m) => m.envelope.rcptTo.some((r) => r.address === 'helen.officer@corp.example'), 15_000);
    expect(reply.parsed?.inReplyTo).toBeTruthy();
    await waitUntil(daemon!.events, async () => (await dovecot.list('sign', 'Rejected')).length === 1, { what: 'the request mail in Rejected' });
  });

  it('keeps one token for the request and return accounts (same app) and saves the refresh token Google rotated', () => {
    const imap = loadToken(daemon!.db, 'mail:requests');
    expect(imap?.accessToken).toMatch(/^EwB/);
    expect(loadToken(daemon!.db, 'mail:returns')).toBeNull();
    expect(sim.provider.grants.filter((g) => g.provider === 'microsoft' && g.outcome === 'issued')).toHaveLength(1);

    const smtp = loadToken(daemon!.db, 'mail:smtp');
    expect(smtp?.refreshToken).toBeTruthy();
    expect(smtp?.refreshToken).not.toBe(configured);
    expect(sim.provider.isRefreshTokenLive(smtp!.refreshToken!)).toBe(true);
    expect(sim.provider.isRefreshTokenLive(configured)).toBe(false);
  });

  it('`signrelay check` logs in the same way and says so, using the saved Google chain', async () => {
    const r = await runInProcess(['check', '--config', configFile], { env: bareEnv(env()) });
    const lines = linesOf(r.stdout);
    expect(lines).toContain(`✓ IMAP request mailbox: logged in to 127.0.0.1:${dovecot.imapPort} as sign (XOAUTH2, microsoft)`);
    expect(lines).toContain(`✓ IMAP return mailbox: logged in to 127.0.0.1:${dovecot.imapPort} as returns (XOAUTH2, microsoft)`);
    expect(lines).toContain(`✓ SMTP: 127.0.0.1:${sink.port} accepted the login of relay@gmail.example (XOAUTH2, google)`);
    // The mail items are what this file is about; Secured Signing and ServiceNow point at nothing here.
    expect(lines.filter((l) => l.startsWith('✗')).map((l) => l.replace(/:.*/, ''))).toEqual(['✗ Secured Signing', '✗ ServiceNow']);
    expect(r.code).toBe(1);
    // The check spent the daemon's refresh token and saved the one it got in return.
    const smtp = loadToken(daemon!.db, 'mail:smtp');
    expect(sim.provider.isRefreshTokenLive(smtp!.refreshToken!)).toBe(true);
    for (const secret of allSecrets()) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('`signrelay check` with a wrong client secret: ✗ naming the setting, nothing printed of it', async () => {
    const wrongFile = `${configFile}.wrong.yaml`;
    writeFileSync(wrongFile, configText);
    const r = await runInProcess(['check', '--config', wrongFile], { env: bareEnv({ ...env(), MS_SECRET: 'wrong-ms-secret-must-not-print-77' }) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ IMAP request mailbox: the Microsoft identity platform refused to issue an access token for mailboxes\.requests\.auth .*AADSTS7000215.*check mailboxes\.requests\.auth\.client_secret/m);
    expect(r.stdout).toMatch(/^✓ SMTP/m);
    expect(r.stdout + r.stderr).not.toContain('wrong-ms-secret-must-not-print-77');
    expect(r.stdout).not.toMatch(STACK_FRAME);
  });

  it('never logs a secret, a token or an XOAUTH2 string', () => {
    const all = logs.join('');
    expect(all).toContain('imapflow'); // debug protocol logging was on
    for (const secret of allSecrets()) expect(all).not.toContain(secret);
  });
});
