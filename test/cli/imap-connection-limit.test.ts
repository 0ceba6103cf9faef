// A mail server that limits the account's connections (Dovecot's mail_max_userip_connections,
// answered `NO [LIMIT]`; Gmail allows 15, Exchange Online about 20, and the mailbox's other
// clients count too): `check` and the daemon say that the limit is reached, how many
// connections signrelay holds and what to do — not that the password is wrong — and the
// daemon gets in by itself once a connection is free (imap-variants review M1).
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { afterAll, describe, expect, it } from 'vitest';
import { API_SECRET, IMAP_PASSWORD, useChildWorld } from './child-world.ts';
import { bareEnv, linesOf, type RunningCli } from './helpers.ts';
import { runInProcess } from './in-process.ts';
import { waitFor } from '../support/wait-for.ts';

const run = promisify(execFile);
const getWorld = useChildWorld();
const others: ImapFlow[] = [];
afterAll(async () => {
  for (const c of others) await c.logout().catch(() => c.close());
});

const env = () => bareEnv({ TEST_IMAP_PASSWORD: IMAP_PASSWORD, TEST_SS_API_SECRET: API_SECRET, TEST_SS_REFRESH_TOKEN: getWorld().simulator.issueTokens().refreshToken });
const connectedCount = (daemon: RunningCli) => daemon.logLines().filter((l) => l.message === 'imap watcher connected').length;

/** The account's connections as the server counts them (its anvil, which the limit is checked against). */
async function countedConnections(): Promise<number> {
  const { stdout } = await run('doveadm', ['-c', `${getWorld().dovecot.dir}/dovecot.conf`, 'who', '-1', 'sign']);
  return linesOf(stdout).filter((line) => /^sign\s/.test(line)).length;
}

/** Another client of the mailbox (a person's mail program, a phone). */
async function otherClient(): Promise<ImapFlow> {
  const client = new ImapFlow({ host: '127.0.0.1', port: getWorld().dovecot.imapPort, secure: false, auth: { user: 'sign', pass: IMAP_PASSWORD }, logger: false });
  client.on('error', () => {});
  await client.connect();
  others.push(client);
  return client;
}

/** Waits until the server counts `n` connections of the account: a connection is counted a moment after its login, and a closed one a moment longer. */
const counted = (n: number) => waitFor(async () => (await countedConnections()) === n || undefined, { what: `${n} connections counted by the server`, describe: countedConnections, timeoutMs: 15_000 });

describe('an IMAP server with a connection limit for the account', () => {
  it('check beside the daemon and the daemon beside other clients are told the limit, the connections signrelay holds and the fix', async () => {
    const world = getWorld();
    appendFileSync(`${world.dovecot.dir}/dovecot.conf`, '\nprotocol imap {\n  mail_max_userip_connections = 3\n}\n');
    await world.dovecot.restart();

    // The daemon holds two (one per watcher: the return mailbox shares the account); one more client reaches the limit.
    const daemon = world.startDaemon();
    await waitFor(() => connectedCount(daemon) === 2, { what: 'both watchers connected', timeoutMs: 20_000 });
    const first = await otherClient();
    await counted(3);

    const r = await runInProcess(['check', '--config', world.configFile], { env: env() });
    const imapLine = linesOf(r.stdout).find((l) => l.startsWith('✗ IMAP request mailbox'));
    expect(imapLine).toMatch(/^✗ IMAP request mailbox: The IMAP server 127\.0\.0\.1:\d+ refused the login of "sign": the account's connection limit on that server is reached \(server said: Maximum number of connections from user\+IP exceeded \(mail_max_userip_connections=3\)\)\. /);
    expect(imapLine).toContain('signrelay keeps one connection open per watched mailbox — two on one account when the return mailbox shares the request account — and `signrelay check --config ');
    expect(imapLine).toContain('`, or a reload that changes the mail settings, opens one more while it runs');
    expect(imapLine).toContain("Close the clients the mailbox does not need, or raise the server's limit for the account");
    expect(r.stdout).not.toContain('Put the account\'s current login and password in');

    // The daemon restarted while other clients hold every connection: both watchers are refused.
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    await counted(1);
    const holders = [await otherClient(), await otherClient()];
    await counted(3);
    const restarted = world.startDaemon();
    const refused = await restarted.waitForLog((l) => l.message === 'imap watcher disconnected' && l.code === 'imap_connection_limit', 30_000);
    expect(refused).toMatchObject({ level: 'warn', kind: 'transient' });
    expect(String(refused.error)).toContain("the account's connection limit on that server is reached");
    expect(restarted.logLines().some((l) => l.code === 'imap_auth_failed')).toBe(false);

    // Connections freed: the watchers get in by themselves.
    for (const client of [first, ...holders]) await client.logout();
    await waitFor(() => connectedCount(restarted) === 2, { what: 'both watchers connected once connections are free', timeoutMs: 30_000 });
    restarted.child.kill('SIGTERM');
    await restarted.exited;
  }, 120_000);
});
