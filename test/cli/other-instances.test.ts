// Two instances on one host misconfigured to share a mailbox (instances review H1, H2): both
// daemons took every mail — each request sent to its signers twice — or one filed the other's
// signed copies in Unmatched, and `check` was all ✓. `check` now names the configuration beside
// it that watches the same folder or uses the same return address; a daemon refuses to start
// beside a running one that does, and starts with a warning beside a stopped one.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedSettings } from '../../src/checks/other-instances.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { buildMail, contractPdf } from '../integration/world.ts';
import { waitFor } from '../support/wait-for.ts';
import { useChildWorld, STOP_WITHIN_MS } from './child-world.ts';
import { bareEnv, exitWithin, runCli } from './helpers.ts';

const getWorld = useChildWorld();

/** The world's configuration copied beside it as another instance's: its own data dir, the edits made. */
function otherInstance(name: string, edits: Array<[string, string]> = []): string {
  const world = getWorld();
  let text = readFileSync(world.configFile, 'utf8').replace(`data_dir: ${world.dataDir}`, `data_dir: ${join(dirname(world.dataDir), `data-${name}`)}`);
  for (const [from, to] of edits) text = text.replace(from, to);
  const file = join(dirname(world.configFile), `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

describe('another instance sharing a mailbox', () => {
  it('beside a running daemon on the same folders: the second refuses to start, naming the other file; check says so', async () => {
    const world = getWorld();
    const legal = otherInstance('legal');
    const hr = world.startDaemon();
    try {
      await hr.waitForLog('imap watcher connected');
      const second = await runCli(['run', '--config', legal], { env: bareEnv({ TEST_IMAP_PASSWORD: 'x', TEST_SS_API_SECRET: 'x', TEST_SS_REFRESH_TOKEN: 'x' }) });
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain(`mailboxes.requests watches sign@127.0.0.1:${world.dovecot.imapPort}/INBOX, as its mailboxes.requests does`);
      expect(second.stderr).toContain(`${world.configFile} (whose daemon is running)`);
      expect(second.stderr).toContain('give each instance its own request mailbox');
      expect(second.stderr).not.toMatch(/\n\s+at /); // an operator's error, no stack trace

      // A mail delivered now is sent once, by the daemon that runs.
      await world.dovecot.deliver('sign@corp.example', await buildMail({
        subject: 'Contract RITM0030001', text: 'Signer: Ann Lee <ann.lee@example.com>',
        attachments: [{ filename: 'contract.pdf', content: await contractPdf('RITM0030001') }],
      }));
      await waitFor(() => world.successfulSends().length === 1, { timeoutMs: 30_000, what: 'the one send' });

      const check = await runCli(['check', '--config', legal], { env: bareEnv({ TEST_IMAP_PASSWORD: 'x', TEST_SS_API_SECRET: 'x', TEST_SS_REFRESH_TOKEN: 'x' }) });
      expect(check.stdout).toMatch(/✗ other instances/);
      expect(check.stdout).toContain('mailboxes.returns.address returns@corp.example is its return address too');
    } finally {
      hr.child.kill('SIGTERM');
      expect(await exitWithin(hr, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
    }
    expect(world.successfulSends()).toHaveLength(1);
  });

  it('beside a stopped one: starts, and warns naming the file', async () => {
    const world = getWorld();
    otherInstance('legal');
    const hr = world.startDaemon();
    try {
      const warning = await hr.waitForLog('another configuration beside this one shares a mailbox with it');
      expect(JSON.stringify(warning)).toContain('legal.yaml (not running now)');
      await hr.waitForLog('imap watcher connected');
    } finally {
      hr.child.kill('SIGTERM');
      expect(await exitWithin(hr, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
    }
    const check = await runCli(['check', '--config', world.configFile], { env: bareEnv({ TEST_IMAP_PASSWORD: 'x', TEST_SS_API_SECRET: 'x', TEST_SS_REFRESH_TOKEN: 'x' }) });
    expect(check.stdout).toMatch(/✓ other instances/);
    expect(check.stdout).toContain('legal.yaml (not running now)');
  });
});

describe('sharedSettings', () => {
  const config = (mailboxes: string) => parseConfigText(`
mailboxes: ${mailboxes}
smtp: {host: smtp.corp.example, from: sign@corp.example}
provider: {api_key: k, api_secret: s, referer: https://corp.example}
servicenow: {instance_url: https://acme.service-now.com, auth: {type: basic, user: u, password: p}}
routes: {default: {allowed_senders: ["*@corp.example"]}}
`, 'test.yaml', { requireSecrets: false });
  const hr = config('{requests: {host: imap.corp.example, user: hr-sign, password: p, address: hr-sign@corp.example}, returns: {address: hr-returns@corp.example, folder: Returns}}');

  it.each([
    ['another mailbox and return address share nothing', '{requests: {host: imap.corp.example, user: legal-sign, password: p, address: legal-sign@corp.example}, returns: {address: legal-returns@corp.example, folder: Returns}}', []],
    ['the same account, another request folder, the same Returns folder', '{requests: {host: IMAP.corp.example., user: HR-SIGN, password: p, address: legal-sign@corp.example, folder: Legal}, returns: {address: legal-returns@corp.example, folder: Returns}}',
      ['mailboxes.returns watches hr-sign@imap.corp.example:993/Returns, as its mailboxes.returns does']],
    ['its return folder is our request folder', '{requests: {host: imap.corp.example, user: legal-sign, password: p, address: legal-sign@corp.example}, returns: {address: legal-returns@corp.example, user: hr-sign, folder: inbox}}',
      ['mailboxes.requests watches hr-sign@imap.corp.example:993/INBOX, as its mailboxes.returns does']],
    ['the same made-up return address', '{requests: {host: imap.corp.example, user: legal-sign, password: p, address: legal-sign@corp.example}, returns: {address: HR-returns@corp.example, folder: Returns}}',
      ['mailboxes.returns.address hr-returns@corp.example is its return address too']],
  ])('%s', (_, other, shared) => {
    expect(sharedSettings(hr, config(other))).toEqual(shared);
  });
});
