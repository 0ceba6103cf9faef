// Credentials that age, on the real command line (seed 003): `signrelay run` records each
// secret at start; a secret first seen longer ago than credentials.max_age_days (made old
// by writing the store between two runs) is warned about by `check` and `status`, shown by
// /metrics, and mailed to the operators exactly once — a restart sends nothing more. The
// rotation procedure — a new IMAP password in the credential file, `check`, SIGHUP — starts
// that secret's age again. No secret and no fingerprint is printed, logged, served or mailed.
// The daemon runs as a child process; `check` and `status` run in process (test/cli/in-process.ts).
import Database from 'better-sqlite3';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { API_SECRET, IMAP_PASSWORD, STOP_WITHIN_MS, useChildWorld } from './child-world.ts';
import { bareEnv, exitWithin, startCli, type RunningCli } from './helpers.ts';
import { runInProcess } from './in-process.ts';

const getWorld = useChildWorld();
const OPERATORS = 'ops@corp.example';
const DAY_S = 86_400;
const ROTATED_IMAP_PASSWORD = 'imap-pass-rotated-cred-age-must-not-leak-19';

const database = () => new Database(join(getWorld().dataDir, 'signrelay.db'));
const fingerprints = (): string[] => {
  const db = database();
  try {
    return (db.prepare('SELECT fingerprint FROM credential_fingerprints').all() as Array<{ fingerprint: string }>).map((r) => r.fingerprint);
  } finally {
    db.close();
  }
};
/** The alert mails the daemon queued (sent or not): the record that makes "once" hold across restarts. */
const queuedAlerts = (): number => {
  const db = database();
  try {
    return (db.prepare("SELECT count(*) AS n FROM jobs WHERE kind = 'mail' AND json_extract(payload, '$.purpose') = 'alert'").get() as { n: number }).n;
  } finally {
    db.close();
  }
};
const alertsReceived = () => getWorld().smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === OPERATORS));

it('warns in check, status, /metrics and one alert mail about an aged secret; a rotation starts its age again', async () => {
  const world = getWorld();
  const secretFile = join(world.dataDir, '..', 'cred-age-imap-password');
  await writeFile(secretFile, `${IMAP_PASSWORD}\n`);
  const configFile = join(world.dataDir, '..', 'cred-age.yaml');
  await writeFile(configFile, `${(await readFile(world.configFile, 'utf8')).replace('password: "${TEST_IMAP_PASSWORD}"', `password: {file: "${secretFile}"}`)}
alerts: {to: [${OPERATORS}]}
observability: {listen: "127.0.0.1:0"}
credentials: {max_age_days: 30}
`);
  const env = bareEnv({ TEST_SS_API_SECRET: API_SECRET, TEST_SS_REFRESH_TOKEN: world.simulator.issueTokens().refreshToken });
  const outputs: string[] = [];
  const run = async (command: 'check' | 'status') => {
    const result = await runInProcess([command, '--config', configFile], { env });
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const daemons: RunningCli[] = [];
  const start = async () => {
    const daemon = startCli(['run', '--config', configFile], { env });
    daemons.push(daemon);
    await daemon.waitForLog('observability endpoint listening');
    await daemon.waitForLog('signrelay started');
    // A reload starts the endpoint again, on a new port: the latest one is asked.
    const address = () => String(daemon.logLines().filter((l) => l.message === 'observability endpoint listening').at(-1)!.address);
    return { daemon, metrics: async () => { const text = await (await fetch(`http://${address()}/metrics`)).text(); outputs.push(text); return text; } };
  };
  const stop = async (daemon: RunningCli) => {
    daemon.child.kill('SIGTERM');
    expect(await exitWithin(daemon, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
  };
  const ageOf = (metrics: string, setting: string) => Number(new RegExp(`^signrelay_credential_age_seconds\\{setting="${setting.replace(/\./g, '\\.')}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);

  // A first run records every secret, new.
  const first = await start();
  expect(ageOf(await first.metrics(), 'provider.api_secret')).toBeLessThan(60);
  await stop(first.daemon);
  const recorded = fingerprints();
  expect(recorded).toHaveLength(4); // the IMAP and ServiceNow passwords, the API key and secret

  // Forty days pass for the API secret and the IMAP password.
  const db = database();
  db.prepare("UPDATE credential_fingerprints SET first_seen_at = ? WHERE setting IN ('provider.api_secret', 'mailboxes.requests.password')")
    .run(new Date(Date.now() - 40 * DAY_S * 1000).toISOString());
  db.close();

  // The next start tells the operators, once.
  const second = await start();
  const mail = await world.smtp.waitFor((m) => m.envelope.rcptTo.some((r) => r.address === OPERATORS), 15_000);
  const mailText = mail.parsed!.text!;
  outputs.push(mail.raw.toString(), mailText);
  expect(mail.parsed!.subject).toBe('[signrelay] credentials due for rotation: mailboxes.requests.password, provider.api_secret');
  expect(mailText).toContain('  provider.api_secret: 40 days (first seen ');
  expect(mailText).toContain('docs/credentials.md');
  const metrics = await second.metrics();
  expect(ageOf(metrics, 'provider.api_secret')).toBeGreaterThanOrEqual(40 * DAY_S);
  expect(ageOf(metrics, 'servicenow.auth.password')).toBeLessThan(DAY_S);
  expect(metrics.match(/^signrelay_credential_age_seconds\{.*$/gm)!.every((line) => /^signrelay_credential_age_seconds\{setting="[a-z_.]+"\} \d+$/.test(line))).toBe(true);

  const status = await run('status');
  expect(status.stdout).toMatch(/^provider\.api_secret\s+\S+ \S+\s+40 d \(over 30\)$/m);
  expect(status.stdout).toContain('  ! provider.api_secret has not changed for 40 days, longer than credentials.max_age_days (30): rotate it (docs/credentials.md#secured-signing-api-key-and-secret)');
  expect(status.stdout).toContain('  ! mailboxes.requests.password has not changed for 40 days');
  expect(status.stdout).not.toContain('! servicenow.auth.password');
  const check = await run('check');
  expect(check.code).toBe(0); // a warning, not a failure
  expect(check.stdout).toMatch(/^✓ credential age: 4 secret\(s\) as the daemon recorded them, the oldest 40 days old \(credentials\.max_age_days: 30\)$/m);
  expect(check.stdout).toContain('    warning: provider.api_secret has not changed for 40 days, longer than credentials.max_age_days (30): rotate it (docs/credentials.md#secured-signing-api-key-and-secret)');

  // A restart: the review runs again (it logs the overdue secrets) and sends nothing more.
  await stop(second.daemon);
  const third = await start();
  expect(third.daemon.logLines().filter((l) => l.message === 'credential due for rotation').map((l) => l.setting)).toEqual(['mailboxes.requests.password', 'provider.api_secret']);
  expect(queuedAlerts()).toBe(1);

  // The rotation: the new password at the server (the old one is still accepted by then
  // at a real provider; Dovecot keeps one), in the credential file, check, reload, status.
  await world.dovecot.setPassword('sign', ROTATED_IMAP_PASSWORD);
  await writeFile(secretFile, `${ROTATED_IMAP_PASSWORD}\n`);
  const before = await run('check');
  expect(before.stdout).toMatch(/^✓ IMAP request mailbox: logged in/m);
  expect(before.stdout).toContain('new since the daemon recorded them: mailboxes.requests.password (their age starts when the daemon next starts: `systemctl restart signrelay`)');
  third.daemon.child.kill('SIGHUP');
  await third.daemon.waitForLog('configuration reloaded');
  await third.daemon.waitForLog((l) => l.message === 'credential changed: its age starts again' && l.setting === 'mailboxes.requests.password');
  await waitFor(() => third.daemon.logLines().filter((l) => l.message === 'observability endpoint listening').length === 2, { timeoutMs: 10_000, what: 'the endpoint after the reload' });
  const after = await run('status');
  expect(after.stdout).toMatch(/^mailboxes\.requests\.password\s+\S+ \S+\s+0 d$/m);
  expect(after.stdout).not.toContain('! mailboxes.requests.password');
  expect(after.stdout).toContain('! provider.api_secret');
  expect(ageOf(await third.metrics(), 'mailboxes.requests.password')).toBeLessThan(60);
  const rechecked = await run('check');
  expect(rechecked.stdout).not.toContain('new since the daemon recorded them');
  expect(rechecked.stdout).not.toContain('warning: mailboxes.requests.password');
  await stop(third.daemon);

  await waitFor(() => alertsReceived().length === 1, { timeoutMs: 5_000, what: 'the one alert mail' });
  expect(queuedAlerts()).toBe(1);
  // Nothing secret anywhere: not the secrets, old or new, not a fingerprint.
  const everything = [...outputs, ...daemons.flatMap((d) => [d.stdout, d.stderr])].join('\n');
  expect(everything).toContain('provider.api_secret');
  for (const needle of [...world.secrets, ROTATED_IMAP_PASSWORD, ...recorded, ...fingerprints()]) expect(everything).not.toContain(needle);
}, 180_000);
