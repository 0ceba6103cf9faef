// Folders missing at start, through the whole daemon on a real Dovecot: every folder signrelay
// files into is created; a watched folder that does not exist is one clear error per attempt
// naming `mailboxes.requests.folder` and the fix, with backoff between attempts. Carrying on
// once the folder exists: imap-recovery.test.ts.
import { expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { expectBackoff, firstRequestFailure, useProxiedWorld } from './imap-fault-world.ts';

const get = useProxiedWorld({
  prepare(world) {
    Object.assign(world.config.mailboxes.requests, { folder: 'Signing/Incoming', processed_folder: 'Signing/Done', rejected_folder: 'Signing/Refused' });
    Object.assign(world.config.mailboxes.returns, { folder: 'Returns/In', processed_folder: 'Returns/Done', unmatched_folder: 'Returns/Unknown' });
  },
});

it('creates the folders it files into, and those of the return mailbox', async () => {
  const { world } = get();
  await waitFor(() => world.daemon!.returnWatcher.status().state === 'idle', { what: 'the return watcher idle', timeoutMs: 10_000 });
  expect(await world.dovecot.folders('returns')).toEqual(expect.arrayContaining(['Returns/In', 'Returns/Done', 'Returns/Unknown']));
  await waitFor(async () => (await world.dovecot.folders('sign')).includes('Signing/Refused'), { what: 'the request account\'s folders' });
  expect(await world.dovecot.folders('sign')).toEqual(expect.arrayContaining(['Signing/Done', 'Signing/Refused']));
  expect(await world.dovecot.folders('sign')).not.toContain('Signing/Incoming');
});

it('reports a missing watched folder once per attempt, naming the setting and the fix, and backs off', async () => {
  const { world, proxy } = get();
  const first = await firstRequestFailure(world);
  expect(first).toMatchObject({ level: 'error', code: 'imap_folder_missing', kind: 'config' });
  expect(first.error).toBe(`The IMAP folder "Signing/Incoming" does not exist for sign on 127.0.0.1:${proxy.port}. ` +
    'Create it on the server, or set mailboxes.requests.folder to a folder that exists (e.g. INBOX).');
  const { attempts } = await expectBackoff(get(), 3);
  // Nothing else at warn or above from that mailbox: the one line per attempt is all.
  expect(world.logs.join('').split('\n').filter((line) => /"mailbox":"requests"/.test(line) && /"level":"(warn|error)"/.test(line))).toHaveLength(attempts);
  expect(world.daemon!.requestWatcher.status().state).toBe('backoff');
});
