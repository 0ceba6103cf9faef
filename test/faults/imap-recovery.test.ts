// After an IMAP fault an operator (or mail admin) fixes on the server, the watcher carries on
// by itself at its next attempt, without a restart: the password is valid again, the watched
// folder now exists. On a real Dovecot with short reconnect delays (the harness's 0.1–1 s);
// the daemon-level tests with the real delays are imap-bad-credentials / imap-missing-folders.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { nextEvent, waitFor } from '../support/wait-for.ts';
import { stopAllWatchers, testMail, watch } from '../mail/watcher-harness.ts';

const PASSWORD = 'recovery-pass-4e7b';
let dovecot: DovecotHandle;

beforeAll(async () => {
  dovecot = await startDovecot({ users: { rotated: 'the-old-password-9', folders: PASSWORD } });
});
afterEach(stopAllWatchers);
afterAll(async () => dovecot?.stop());

it('logs in again once the configured password is valid on the server again', async () => {
  const { watcher } = watch(dovecot, 'rotated', PASSWORD);
  await waitFor(() => watcher.status().state === 'auth-error', { what: 'the auth error' });
  expect(watcher.status().lastError).toMatchObject({ code: 'imap_auth_failed' });
  // Generous: under load a failed login alone takes Dovecot up to a second or two, then the backoff.
  const connected = nextEvent((fn) => watcher.on('connected', fn), { what: 'the login after the fix', timeoutMs: 20_000 });
  await dovecot.setPassword('rotated', PASSWORD);
  await connected;
  await dovecot.deliver('rotated@corp.example', testMail('after-the-fix'));
  await waitFor(async () => (await dovecot.list('rotated', 'Processed')).length === 1, { what: 'the mail in Processed' });
});

it('opens the watched folder once it exists, and files into the folder it created meanwhile', async () => {
  const { watcher, calls } = watch(dovecot, 'folders', PASSWORD, {
    folder: 'Signing/Incoming', ensureFolders: ['Signing/Done'], decide: () => ({ moveTo: 'Signing/Done' }),
  });
  await waitFor(() => watcher.status().lastError?.code === 'imap_folder_missing', { what: 'the missing folder reported' });
  expect(watcher.status().lastError?.message).toContain('set mailboxes.requests.folder to a folder that exists');
  expect(await dovecot.folders('folders')).toContain('Signing/Done');
  const connected = nextEvent((fn) => watcher.on('connected', fn), { what: 'the connect after the fix', timeoutMs: 20_000 });
  await dovecot.append('folders', 'Signing/Incoming', testMail('waiting-in-the-new-folder'));
  await connected;
  await waitFor(async () => (await dovecot.list('folders', 'Signing/Done')).length === 1, { what: 'the mail in Signing/Done' });
  expect(calls.map((message) => message.messageId)).toEqual(['<waiting-in-the-new-folder@test.example>']);
  expect(await dovecot.list('folders', 'Signing/Incoming')).toHaveLength(0);
});
