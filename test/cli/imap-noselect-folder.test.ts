// A watched folder the server lists only as the parent of other folders (`\Noselect`: a mail
// program or a server rule made Signing/Incoming, and the configuration says Signing): `check`
// refuses it and names the folder below it; the daemon's refused SELECT is the configuration
// error naming mailboxes.requests.folder, logged at error — not a transient warning on every
// reconnect (imap-variants review M3). A return folder listed so is made at start.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { API_SECRET, IMAP_PASSWORD, useChildWorld } from './child-world.ts';
import { bareEnv, linesOf } from './helpers.ts';
import { runInProcess } from './in-process.ts';
import { waitFor } from '../support/wait-for.ts';

const getWorld = useChildWorld();
const env = () => bareEnv({ TEST_IMAP_PASSWORD: IMAP_PASSWORD, TEST_SS_API_SECRET: API_SECRET, TEST_SS_REFRESH_TOKEN: getWorld().simulator.issueTokens().refreshToken });

describe('folders the server lists only as parents', () => {
  it('check refuses a watched one and names its child; the daemon logs the folder setting at error; a return folder is made', async () => {
    const world = getWorld();
    await world.dovecot.append('sign', 'Signing/Incoming', 'From: ann@corp.example\r\nSubject: x\r\nMessage-ID: <ns-1@corp.example>\r\n\r\nx\r\n');
    // The return folder (Returns in this configuration) exists only as the parent of an archive.
    await world.dovecot.append('sign', 'Returns/Archive', 'From: x@example.com\r\nSubject: old\r\nMessage-ID: <old-1@x>\r\n\r\nold\r\n');
    const file = `${world.configFile}.noselect.yaml`;
    await writeFile(file, (await readFile(world.configFile, 'utf8')).replace('address: sign@corp.example}', 'address: sign@corp.example, folder: Signing}'));

    const r = await runInProcess(['check', '--config', file], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ IMAP request mailbox: folder Signing (mailboxes.requests.folder) is only a parent of other folders: it cannot hold mail\n' +
      '    fix: set mailboxes.requests.folder to the folder mail arrives in (Signing/Incoming?), or create the folder Signing itself');
    expect(linesOf(r.stdout)).toContain('✓ IMAP request mailbox: folder Returns (mailboxes.returns.folder) does not exist yet; signrelay creates it at start');

    const daemon = world.startDaemon(file);
    const requestFailures = () => daemon.logLines().filter((l) => l.mailbox === 'requests' && l.message === 'imap watcher disconnected');
    await waitFor(() => requestFailures().length >= 2, { what: 'two failed attempts', timeoutMs: 20_000 });
    for (const failure of requestFailures()) {
      expect(failure).toMatchObject({ level: 'error', code: 'imap_folder_missing', kind: 'config' });
      expect(String(failure.error)).toMatch(/^The IMAP folder "Signing" cannot be opened for sign on 127\.0\.0\.1:\d+ \(server said: Mailbox doesn't exist: Signing.*\): it does not exist, or is only a parent of other folders\. Create it on the server, or set mailboxes\.requests\.folder to a folder that exists \(e\.g\. INBOX\)\.$/);
    }
    // The return watcher made its folder and reads it.
    await daemon.waitForLog((l) => l.mailbox === 'returns' && l.message === 'imap watcher connected', 20_000);
    expect(await world.dovecot.folders('sign')).toContain('Returns');
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }, 90_000);
});
