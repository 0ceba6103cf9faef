// Bad IMAP credentials through the whole daemon: the mail admin changed the request account's
// password on the server. The operator gets one clear log line per attempt naming the setting
// and the fix (no stack trace), and the attempts back off (counted at Dovecot and timed at a
// proxy). Recovering once the password is valid again: imap-recovery.test.ts.
import { expect, it } from 'vitest';
import { waitForEvent } from '../support/wait-for-event.ts';
import { waitFor } from '../support/wait-for.ts';
import { IMAP_PASSWORD } from '../integration/world.ts';
import { connectionFailures, expectBackoff, firstRequestFailure, useProxiedWorld } from './imap-fault-world.ts';

const get = useProxiedWorld({ prepare: (world) => world.dovecot.setPassword('sign', 'changed-by-the-mail-admin-31') });

/** Failed logins of `user` in Dovecot's own log ("auth failed, N attempts … user=<sign>"). */
function failedLoginsAtDovecot(user: string): number {
  return [...get().world.dovecot.log().matchAll(new RegExp(`auth failed, (\\d+) attempts.*user=<${user}>`, 'g'))]
    .reduce((sum, match) => sum + Number(match[1]), 0);
}

it('logs a clear error naming the setting, without a stack trace, and backs off instead of hammering the server', async () => {
  const { world } = get();
  const first = await firstRequestFailure(world);
  expect(first).toMatchObject({ level: 'error', code: 'imap_auth_failed', kind: 'auth', component: 'imap' });
  expect(first.error).toMatch(/refused the login of "sign" \(server said: .+\)\. Put the account's current login and password in mailboxes\.requests\.user and mailboxes\.requests\.password/);
  expect(world.daemon!.requestWatcher.status().state).toBe('auth-error');
  // daemon.events tells it too: the request watcher is reconnecting, and why.
  await waitForEvent(world.daemon!.events, 'watcher', (w) => w.mailbox === 'requests' && w.state === 'reconnecting' && w.code === 'imap_auth_failed', { what: 'the watcher reconnecting after imap_auth_failed' });

  const { attempts } = await expectBackoff(get(), 3);
  // Each attempt reached Dovecot as one failed login: never a second try on one connection.
  await waitFor(() => failedLoginsAtDovecot('sign') === attempts, {
    what: `${attempts} failed logins in Dovecot's log`, timeoutMs: 3_000, describe: () => failedLoginsAtDovecot('sign'),
  });
  expect(connectionFailures(world, 'returns')).toEqual([]);
  expect(world.logs.join('')).not.toContain(IMAP_PASSWORD);
});
