// Folder names on a server whose personal namespace has a prefix (Courier, Cyrus, cPanel:
// `INBOX.` with separator `.`), written without it as the daemon takes them, and INBOX spelt
// in any case: `check` finds them as the watcher does, and a reload onto such a folder goes
// on (imap-variants review M2).
import { appendFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { API_SECRET, IMAP_PASSWORD, useChildWorld } from './child-world.ts';
import { bareEnv, linesOf } from './helpers.ts';
import { runInProcess } from './in-process.ts';
import { waitFor } from '../support/wait-for.ts';

const getWorld = useChildWorld();
const env = () => bareEnv({ TEST_IMAP_PASSWORD: IMAP_PASSWORD, TEST_SS_API_SECRET: API_SECRET, TEST_SS_REFRESH_TOKEN: getWorld().simulator.issueTokens().refreshToken });

async function variant(name: string, change: (yaml: string) => string): Promise<string> {
  const file = `${getWorld().configFile}.${name}.yaml`;
  await writeFile(file, change(await readFile(getWorld().configFile, 'utf8')));
  return file;
}
const inFolder = (folder: string) => (y: string) => y.replace('address: sign@corp.example}', `address: sign@corp.example, folder: ${folder}}`);
const seed = (id: string) => `From: x@example.com\r\nSubject: seed\r\nMessage-ID: <${id}@x>\r\n\r\nseed\r\n`;

describe('folder names as the daemon takes them', () => {
  it('INBOX spelt "inbox" (any server): check finds the watched folder', async () => {
    const r = await runInProcess(['check', '--config', await variant('lower-inbox', inFolder('inbox'))], { env: env() });
    expect(linesOf(r.stdout)).toContain('✓ IMAP request mailbox: folder inbox (mailboxes.requests.folder): 0 mail(s)');
    expect(r.stdout).not.toMatch(/^✗ IMAP/m);
  });

  it('under the namespace prefix INBOX.: check finds every folder with its mail, and a reload onto one goes on and reads it', async () => {
    const world = getWorld();
    appendFileSync(`${world.dovecot.dir}/dovecot.conf`, '\nnamespace inbox {\n  prefix = INBOX.\n  separator = .\n}\n');
    await world.dovecot.restart();
    // The server's rules file signing mail into INBOX.Signing and completions into INBOX.Returns.
    await world.dovecot.append('sign', 'INBOX.Signing', 'From: Ann <ann@corp.example>\r\nTo: sign@corp.example\r\nSubject: please sign\r\nMessage-ID: <ns-1@corp.example>\r\n\r\nno attachment\r\n');
    await world.dovecot.append('sign', 'INBOX.Returns', seed('ns-seed'));
    await world.dovecot.append('sign', 'INBOX.Processed', seed('ns-seed2'));

    const r = await runInProcess(['check', '--config', await variant('signing', inFolder('Signing'))], { env: env() });
    const lines = linesOf(r.stdout);
    expect(lines).toContain('✓ IMAP request mailbox: folder Signing (mailboxes.requests.folder): 1 mail(s)');
    expect(lines).toContain('✓ IMAP request mailbox: folder Processed (mailboxes.requests.processed_folder): 1 mail(s)');
    expect(lines).toContain('✓ IMAP request mailbox: folder Returns (mailboxes.returns.folder): 1 mail(s)');
    expect(lines).toContain('✓ IMAP request mailbox: folder Rejected (mailboxes.requests.rejected_folder) does not exist yet; signrelay creates it at start');
    expect(r.stdout).not.toContain('no mail has reached it yet');
    expect(r.stdout).not.toMatch(/^✗/m);

    // A daemon running on INBOX is moved to Signing by a reload: it goes on, and files Signing's mail.
    const daemon = world.startDaemon();
    await waitFor(() => daemon.logLines().filter((l) => l.message === 'imap watcher connected').length === 2, { what: 'both watchers connected', timeoutMs: 20_000 });
    await writeFile(world.configFile, inFolder('Signing')(await readFile(world.configFile, 'utf8')));
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog('configuration reloaded', 30_000);
    await waitFor(async () => (await world.dovecot.list('sign', 'INBOX.Signing')).length === 0, { what: 'INBOX.Signing emptied', timeoutMs: 20_000 });
    expect((await world.dovecot.list('sign', 'INBOX.Rejected')).map((m) => m.messageId)).toEqual(['<ns-1@corp.example>']);
    expect(daemon.logLines().some((l) => l.message === 'configuration reload refused; still running with the previous configuration')).toBe(false);
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }, 90_000);
});
