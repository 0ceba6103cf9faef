// `signrelay check` against a real Dovecot and SMTP server: ✓ for what works, ✗ with the fix
// for what does not, exit 1 on any ✗, and no secret printed either way. Run in process
// (in-process.ts): the servers are real, the command returns.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { API_SECRET, IMAP_PASSWORD, useChildWorld } from './child-world.ts';
import { bareEnv, linesOf, STACK_FRAME } from './helpers.ts';
import { runInProcess } from './in-process.ts';
import { NEWEST_SCHEMA, schemaOf, writeOlderDatabase } from '../support/older-database.ts';

const getWorld = useChildWorld();
const env = (imapPassword = IMAP_PASSWORD) => bareEnv({ TEST_IMAP_PASSWORD: imapPassword, TEST_SS_API_SECRET: API_SECRET, TEST_SS_REFRESH_TOKEN: getWorld().simulator.issueTokens().refreshToken });

async function variant(name: string, change: (yaml: string) => string): Promise<string> {
  const file = `${getWorld().configFile}.${name}.yaml`;
  await writeFile(file, change(await readFile(getWorld().configFile, 'utf8')));
  return file;
}

const check = (file: string, e = env()) => runInProcess(['check', '--config', file], { env: e });

describe('signrelay check', () => {
  it('passes against working servers: login, every folder, SMTP, Secured Signing, ServiceNow', async () => {
    const r = await check(getWorld().configFile);
    expect(r.stderr).toBe('');
    const lines = linesOf(r.stdout);
    expect(lines[0]).toBe(`✓ configuration: ${getWorld().configFile}`);
    expect(lines).toContain(`✓ IMAP request mailbox: logged in to 127.0.0.1:${getWorld().dovecot.imapPort} as sign`);
    expect(lines).toContain('✓ IMAP request mailbox: folder INBOX (mailboxes.requests.folder): 0 mail(s)');
    expect(lines).toContain('✓ IMAP request mailbox: folder Rejected (mailboxes.requests.rejected_folder) does not exist yet; signrelay creates it at start');
    expect(lines).toContain('✓ IMAP request mailbox: folder Unmatched (mailboxes.returns.unmatched_folder) does not exist yet; signrelay creates it at start');
    // Secured Signing with OAuth: its check keeps the token it renews, so it makes the data dir now, and says so.
    expect(lines.some((l) => /^✓ data directory: .* does not exist yet; signrelay creates it \(mode 0700\) at start; the Secured Signing check below makes it now, to keep the OAuth token it renews — as uid \d+: run check as the service's user/.test(l))).toBe(true);
    expect(lines).toContain('✓ second PDF reader (pdftotext): pdftotext reads a test PDF');
    expect(lines).toContain(`✓ SMTP: 127.0.0.1:${getWorld().smtp.port} answered (no login configured)`);
    expect(lines.some((l) => /^✓ Secured Signing: signature and OAuth token accepted/.test(l))).toBe(true);
    expect(lines).toContain('✓ ServiceNow: signrelay.integration may read sc_req_item');
    expect(lines.at(-1)).toBe('all checks passed');
    expect(r.code).toBe(0);
  });

  it('a database of the older version (installed, not restarted yet): not upgraded under its daemon, the provider not checked yet, with the fix', async () => {
    const dataDir = `${getWorld().configFile}.older-data`;
    writeOlderDatabase(join(dataDir, 'signrelay.db'));
    const file = await variant('older', (y) => y.replace(/data_dir: [^}\n]+/, `data_dir: ${dataDir}`));
    const r = await check(file);
    expect(r.stdout).toContain('✓ Secured Signing: not checked yet\n    warning: the database in');
    expect(r.stdout).toMatch(/is from an older signrelay \(1 upgrade to apply\): restart the daemon on this version \(it upgrades the database at start\), then run the command again/);
    expect(linesOf(r.stdout).at(-1)).toBe('all checks passed');
    expect(r.code).toBe(0);
    expect(schemaOf(join(dataDir, 'signrelay.db'))).toBe(NEWEST_SCHEMA - 1);
  });

  it('a wrong IMAP password: ✗ naming the settings, exit 1, the password never printed', async () => {
    const wrong = 'wrong-imap-pass-must-not-print-31';
    const r = await check(getWorld().configFile, env(wrong));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ IMAP request mailbox: The IMAP server 127\.0\.0\.1:\d+ refused the login of "sign" .*mailboxes\.requests\.user and mailboxes\.requests\.password/m);
    expect(r.stdout).toMatch(/^✓ SMTP/m); // the other checks still run
    expect(linesOf(r.stdout).at(-1)).toBe('1 check(s) failed');
    expect(r.stdout + r.stderr).not.toContain(wrong);
    expect(r.stdout).not.toMatch(STACK_FRAME);
  });

  it('--env-file: the service\'s environment file fills ${VAR} secrets before the shell does — the values the service will run on are checked (docs review M2)', async () => {
    const file = join(dirname(getWorld().configFile), 'signrelay.env');
    const stale = 'stale-imap-pass-in-the-shell-must-not-print';
    // The service's file holds every \${VAR} the configuration names; the shell still holds the old password.
    const serviceFile = (imapPassword: string) => {
      const { TEST_SS_API_SECRET, TEST_SS_REFRESH_TOKEN } = env();
      return `# the unit's EnvironmentFile=\nTEST_IMAP_PASSWORD="${imapPassword}"\nTEST_SS_API_SECRET=${TEST_SS_API_SECRET}\nTEST_SS_REFRESH_TOKEN='${TEST_SS_REFRESH_TOKEN}'\n\n`;
    };
    await writeFile(file, serviceFile(IMAP_PASSWORD));
    const fresh = await runInProcess(['check', '--config', getWorld().configFile, '--env-file', file], { env: env(stale) });
    expect(fresh.stdout).toMatch(/^✓ IMAP request mailbox: logged in/m);
    // And the other way round: a wrong value in the file is what fails, though the shell's works.
    const wrong = 'wrong-imap-pass-in-the-file-must-not-print';
    await writeFile(file, serviceFile(wrong));
    const refused = await runInProcess(['check', '--config', getWorld().configFile, '--env-file', file], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^✗ IMAP request mailbox: The IMAP server .* refused the login/m);
    expect(fresh.stdout + fresh.stderr + refused.stdout + refused.stderr).not.toMatch(new RegExp(`${stale}|${wrong}`));
    // A variable the file lacks is unset for the service too: not taken from the shell (which has it).
    await writeFile(file, 'OTHER=1\n');
    const lacking = await runInProcess(['check', '--config', getWorld().configFile, '--env-file', file], { env: env() });
    expect(lacking.code).toBe(1);
    expect(lacking.stdout).toMatch(/^✗ configuration: .* has 3 problems:\n.*mailboxes\.requests\.password: environment variable TEST_IMAP_PASSWORD is not set/m);
    // A line the unit would not read as the file means is refused with its place, nothing checked.
    await writeFile(file, `TEST_IMAP_PASSWORD="unclosed\n`);
    const invalid = await runInProcess(['check', '--config', getWorld().configFile, '--env-file', file], { env: env() });
    expect(invalid.code).toBe(1);
    expect(linesOf(invalid.stdout)[0]).toBe(`✗ configuration: ${file}, line 1: the value of TEST_IMAP_PASSWORD opens a quote it does not close, or goes on after it; write KEY=value, KEY="value" or KEY='value', one to a line`);
    expect(invalid.stdout).toContain('fix: as above; nothing else can be checked');
  });

  it('another process holding the database\'s write lock: an item that needs to write says so, with the fix — not SQLite\'s bare "database is locked" (operator review)', async () => {
    await check(getWorld().configFile); // the data dir and its database, as a first check (Secured Signing with OAuth) makes them
    const holder = new Database(join(getWorld().dataDir, 'signrelay.db'));
    holder.prepare('UPDATE oauth_tokens SET expires_at = ?').run(Date.now() - 60_000); // its access token due for renewal: a write
    holder.exec('BEGIN IMMEDIATE');
    try {
      const r = await check(getWorld().configFile);
      expect(r.code).toBe(1);
      // The data directory's own item names the lock, with its fix line; the others say what it is too.
      expect(r.stdout).toMatch(/^✗ data directory: the database .* cannot be written: database is locked\n {4}fix: another process holds a write lock on it/m);
      for (const line of linesOf(r.stdout).filter((l) => l.startsWith('✗') && !l.startsWith('✗ data directory'))) expect(line).not.toMatch(/: database is locked$/);
      expect(r.stdout).toMatch(/^✗ Secured Signing: storage\.data_dir .* is locked: another process held a write lock on signrelay\.db .*\. Check again once that is fixed\.$/m);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('a watched folder that does not exist: ✗ with the fix', async () => {
    const file = await variant('nofolder', (y) => y.replace('address: sign@corp.example}', 'address: sign@corp.example, folder: Incoming}'));
    const r = await check(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ IMAP request mailbox: folder Incoming (mailboxes.requests.folder) does not exist\n    fix: create the folder Incoming in the mailbox, or set mailboxes.requests.folder to the folder mail arrives in');
  });

  it('a return folder that does not exist: ✓ (signrelay makes it) with a warning that only the server\'s rule fills it', async () => {
    const file = await variant('returnz', (y) => y.replace('folder: Returns}', 'folder: Returnz}'));
    const r = await check(file);
    expect(r.stdout).toContain('✓ IMAP request mailbox: folder Returnz (mailboxes.returns.folder) does not exist yet; signrelay creates it at start\n' +
      '    warning: no mail has reached it yet: completion mail to returns@corp.example (and its +token addresses) arrives there only through a rule of the mail server that files it into Returnz; if that rule files into another folder, set mailboxes.returns.folder to it');
  });

  it('ServiceNow refusing the login, and a table the user may not read: ✗ naming the setting and the permission', async () => {
    const wrong = await check(await variant('snpass', (y) => y.replace(/password: cli-sn-pass-plain-in-the-test-config/, 'password: wrong-sn-password-77')));
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^✗ ServiceNow: .*servicenow\.auth/m);
    expect(wrong.stdout.match(/^✗ ServiceNow/gm)).toHaveLength(1); // a refused login is said once, not per table
    expect(wrong.stdout).not.toContain('wrong-sn-password-77');
    getWorld().servicenow.forbidTable('sc_req_item');
    try {
      const forbidden = await check(getWorld().configFile);
      expect(forbidden.code).toBe(1);
      expect(forbidden.stdout).toMatch(/^✗ ServiceNow: .*read on sc_req_item/m);
    } finally {
      getWorld().servicenow.allowTable('sc_req_item');
    }
  });

  it('SMTP not answering: ✗ naming host and port', async () => {
    const file = await variant('nosmtp', (y) => y.replace(/smtp: \{host: 127\.0\.0\.1, port: \d+/, 'smtp: {host: 127.0.0.1, port: 1'));
    const r = await check(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ SMTP: .*127\.0\.0\.1:1/m);
  });

  it('an invalid configuration: ✗ with every problem, nothing else checked', async () => {
    const file = await variant('invalid', (y) => y.replace('records: {RITM: sc_req_item}', 'records: {RITM: sc_req_item}\nlimits: {max_mail_bytes: -1}'));
    const r = await check(file);
    expect(r.code).toBe(1);
    const lines = linesOf(r.stdout);
    expect(lines[0]).toMatch(/^✗ configuration: .* has a problem:$/);
    expect(r.stdout).toContain('limits.max_mail_bytes: expected a positive integer');
    expect(r.stdout).not.toMatch(/IMAP|SMTP/);
    expect(lines.at(-1)).toBe('1 check(s) failed');
    expect(r.stdout).toContain('    fix: correct the settings named above; nothing else can be checked until the configuration is valid');
  });

  it('a configuration file that is not there: ✗ with its own fix, not "the settings named above"', async () => {
    const missing = `${getWorld().configFile}.missing.yaml`;
    const r = await check(missing);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`✗ configuration: cannot read the configuration ${missing}: the file does not exist. Pass --config FILE or set SIGNRELAY_CONFIG.\n    fix: as above; nothing else can be checked until the configuration is valid`);
  });

  it('--json: the same checks for scripts', async () => {
    const r = await runInProcess(['check', '--json', '--config', getWorld().configFile], { env: env() });
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ title: string; ok: boolean; detail: string }> };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.title)).toEqual(expect.arrayContaining(['configuration', 'data directory', 'IMAP request mailbox', 'SMTP']));
  });
});
