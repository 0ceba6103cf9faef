// `signrelay run --config FILE` as a child process against a real Dovecot, an SMTP sink and
// the Secured Signing simulator: a request goes all the way to a send, SIGTERM stops the
// daemon cleanly, a restart on the same data dir repeats nothing and loses nothing, and no
// secret is ever printed.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf } from '../integration/world.ts';
import { STOP_WITHIN_MS, useChildWorld } from './child-world.ts';
import { bareEnv, exitWithin, STACK_FRAME, type RunningCli } from './helpers.ts';
import { runInProcess } from './in-process.ts';
import { lockHolder } from '../../src/store/data-dir-lock.ts';

const getWorld = useChildWorld();
const daemons: RunningCli[] = [];

async function startDaemon(): Promise<RunningCli> {
  const daemon = getWorld().startDaemon();
  daemons.push(daemon);
  await daemon.waitForLog('imap watcher connected');
  return daemon;
}

async function deliverRequest(record: string): Promise<void> {
  await getWorld().dovecot.deliver('sign@corp.example', await buildMail({
    subject: `Contract ${record}`,
    text: 'Hello,\n\nSigner: Ann Lee <ann.lee@example.com>\nDue: 30d\n',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf(record) }],
    messageId: `<cli-run-${record}@corp.example>`,
  }));
}

async function stopGracefully(daemon: RunningCli): Promise<void> {
  daemon.child.kill('SIGTERM');
  const exit = await exitWithin(daemon, STOP_WITHIN_MS);
  expect(exit, `no exit after SIGTERM: ${STOP_WITHIN_MS} ms without a word (or a minute in all); log tail:\n${daemon.stdout.slice(-1500)}`).toEqual({ code: 0, signal: null });
  const messages = daemon.logLines().map((l) => l.message);
  expect(messages).toContain('stopping: finishing work in hand');
  expect(messages.at(-1)).toBe('signrelay stopped');
  expect(daemon.stderr).toBe('');
}

const processedCount = async () => (await getWorld().folder('Processed')).length;
const processed = async (count: number) => {
  await waitFor(async () => (await processedCount()) === count, { timeoutMs: 20_000, what: `${count} mail(s) in Processed` });
};

const sendsOf = (reference: string) => getWorld().sentReferences().filter((r) => r === reference).length;

describe('signrelay run', () => {
  it('sends a request, exits 0 on SIGTERM, and after a restart sends only the new request', async () => {
    const first = await startDaemon();
    await deliverRequest('RITM0010001');
    await waitFor(() => getWorld().successfulSends().length === 1, {
      timeoutMs: 20_000, what: 'a successful SmartTag/Send', describe: () => getWorld().simulator.calls.map((c) => `${c.path} ${c.status}`),
    });
    await processed(1);
    await stopGracefully(first);
    const [firstReference] = getWorld().sentReferences();

    const second = await startDaemon();
    await deliverRequest('RITM0010002');
    await processed(2);
    await waitFor(() => getWorld().successfulSends().length === 2, { timeoutMs: 20_000, what: 'the second request to be sent' });
    await stopGracefully(second);
    // Both daemons are gone: nothing can be sent any more, so the counts are final.
    const references = getWorld().sentReferences();
    expect(references).toHaveLength(2);
    expect(sendsOf(firstReference!)).toBe(1);
    expect(new Set(references).size).toBe(2);
    expect(getWorld().simulator.calls.filter((c) => c.path.includes('/Document/Uploader/') && c.status === 200)).toHaveLength(2);
    expect(await getWorld().folder('INBOX')).toHaveLength(0);
    // Good requests get no reply: at most their acknowledgement, once each (one may still wait in the job table).
    const mails = getWorld().smtp.messages.map((m) => ({ kind: m.parsed?.headers.get('x-signrelay'), about: m.parsed?.inReplyTo }));
    expect(mails.every((m) => m.kind === 'acknowledgement')).toBe(true);
    expect(new Set(mails.map((m) => m.about)).size).toBe(mails.length);
  }, 180_000);

  it('stops promptly while a send waits for its retry, and the next daemon sends it once', async () => {
    const sendsBefore = getWorld().successfulSends().length;
    const processedBefore = await processedCount();
    getWorld().simulator.failNext('/SmartTag/Send', { status: 503 });
    const first = await startDaemon();
    await deliverRequest('RITM0010003');
    await first.waitForLog((l) => l.message === 'job failed, will retry' && l.job === 'submit', 20_000);
    await processed(processedBefore + 1);
    await stopGracefully(first);
    expect(getWorld().successfulSends()).toHaveLength(sendsBefore);

    const second = await startDaemon();
    await waitFor(() => getWorld().successfulSends().length === sendsBefore + 1, { timeoutMs: 20_000, what: 'the retried send after the restart' });
    await stopGracefully(second);
    const retried = getWorld().sentReferences().at(-1)!;
    expect(sendsOf(retried)).toBe(1);
    expect(getWorld().successfulSends()).toHaveLength(sendsBefore + 1);
  }, 180_000);

  it('SIGTERM just as a request is accepted: exit 0, and across the restart it is sent exactly once', async () => {
    const sendsBefore = getWorld().successfulSends().length;
    const first = await startDaemon();
    await deliverRequest('RITM0010004');
    await first.waitForLog('request accepted', 20_000);
    // The stop finishes the submit job if it had started; if not, the next daemon must run it.
    // Either way the request is neither lost nor repeated (the next daemon's first job pass
    // starts at once and a graceful stop waits for it, so a wrong re-send would be counted).
    await stopGracefully(first);
    const second = await startDaemon();
    await waitFor(() => getWorld().successfulSends().length === sendsBefore + 1, { timeoutMs: 20_000, what: 'the accepted request to be sent' });
    await stopGracefully(second);
    expect(getWorld().successfulSends()).toHaveLength(sendsBefore + 1);
    expect(sendsOf(getWorld().sentReferences().at(-1)!)).toBe(1);
    expect(await getWorld().folder('INBOX')).toHaveLength(0);
  }, 180_000);

  it('stops with exit 1 when its database file is moved away under it, and will not start on a data dir that lost it', async () => {
    const { dataDir } = getWorld();
    const before = await processedCount();
    const daemon = await startDaemon();
    await deliverRequest('RITM0010009');
    await processed(before + 1);
    renameSync(join(dataDir, 'signrelay.db'), join(dataDir, 'moved-away.db'));
    // Noticed within the daemon's look (every 10 s); then it stops as on SIGTERM.
    expect(await exitWithin(daemon, 30_000)).toEqual({ code: 1, signal: null });
    const gone = daemon.logLines().find((l) => l.message === 'the database file is gone: stopping');
    expect(gone?.reason).toMatch(/signrelay\.db \(in storage\.data_dir\) was removed or moved away while signrelay ran; .*put the right signrelay\.db back/);

    // Not a fresh, empty database beside the PDFs of requests out for signing.
    const refused = getWorld().startDaemon();
    expect(await exitWithin(refused, 30_000)).toMatchObject({ code: 1 });
    expect(refused.stdout + refused.stderr).not.toMatch(STACK_FRAME);
    expect(refused.stdout + refused.stderr).toContain(`the database ${join(dataDir, 'signrelay.db')} (in storage.data_dir) is missing, though the PDFs of earlier requests are in ${join(dataDir, 'blobs')}: restore signrelay.db from a backup`);
    expect(existsSync(join(dataDir, 'signrelay.db'))).toBe(false);

    renameSync(join(dataDir, 'moved-away.db'), join(dataDir, 'signrelay.db'));
    await stopGracefully(await startDaemon());
  }, 180_000);

  it('takes a wake-up and a reload while it starts (its pid file already names it): it runs on, and reloads once it is up', async () => {
    const world = getWorld();
    const daemon = world.startDaemon();
    daemons.push(daemon);
    // What `signrelay retry` does (wake-daemon.ts): signal the process the pid file names, as soon as it does.
    const pid = await waitFor(() => lockHolder(world.dataDir), { what: 'the pid file naming the starting daemon', intervalMs: 1 });
    expect(pid).toBe(daemon.child.pid);
    process.kill(pid, 'SIGUSR2');
    process.kill(pid, 'SIGHUP');
    await daemon.waitForLog('configuration reloaded');
    expect(daemon.child.exitCode).toBeNull();
    await stopGracefully(daemon);
  });

  it('refuses a reload while another process holds the database\'s write lock (an sqlite3 shell): it runs on, on the previous configuration, and its work waits for the lock', async () => {
    const world = getWorld();
    const daemon = await startDaemon();
    const other = new Database(join(world.dataDir, 'signrelay.db'));
    other.exec('BEGIN IMMEDIATE');
    try {
      daemon.child.kill('SIGHUP');
      const refused = await daemon.waitForLog('configuration reload refused; still running with the previous configuration', 60_000);
      expect(String(refused.error)).toMatch(/is locked: another process held a write lock on signrelay\.db .* Reload again once it is free\.$/);
      expect(daemon.child.exitCode).toBeNull();
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const before = await processedCount();
    await deliverRequest('RITM0010031');
    await processed(before + 1);
    await stopGracefully(daemon);
  });

  it('starts while another process holds the database\'s write lock by waiting for it, said once: it does not exit into systemd\'s start limit', async () => {
    const world = getWorld();
    await stopGracefully(await startDaemon()); // the database exists, as on any restart
    const other = new Database(join(world.dataDir, 'signrelay.db'));
    other.exec('BEGIN IMMEDIATE');
    let daemon: RunningCli;
    try {
      daemon = world.startDaemon();
      daemons.push(daemon);
      const waiting = await daemon.waitForLog((line) => line.message?.includes('waits for the lock and starts then') === true, 60_000);
      expect(waiting.level).toBe('warn');
      expect(waiting.message).toMatch(/is locked: another process held a write lock on signrelay\.db/);
      // Meanwhile `status` names it, and what it waits for — not "not running: start it" (a second start).
      const status = await runInProcess(['status', '--config', world.configFile], { env: bareEnv() });
      expect(status.stdout).toContain(`✗ the daemon (pid ${daemon.child.pid}) has not reported yet: another process holds the write lock on signrelay.db`);
      // Past further tries (each waits 5 s for the lock): still running, still said once.
      const saidAt = Date.now();
      await waitFor(() => Date.now() - saidAt > 12_000 || daemon.child.exitCode !== null, { timeoutMs: 60_000, what: 'two more tries under the lock', intervalMs: 500 });
      expect(daemon.child.exitCode).toBeNull();
      expect(daemon.logLines().filter((l) => l.message?.includes('waits for the lock'))).toHaveLength(1);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await daemon.waitForLog('imap watcher connected', 60_000);
    const before = await processedCount();
    await deliverRequest('RITM0010041');
    await processed(before + 1);
    await stopGracefully(daemon);
  }, 180_000);

  it('stops at once, exit 0, when asked to while it waits for the write lock (systemctl stop): it does not wait on', async () => {
    const world = getWorld();
    await stopGracefully(await startDaemon());
    const other = new Database(join(world.dataDir, 'signrelay.db'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const daemon = world.startDaemon();
      await daemon.waitForLog((line) => line.message?.includes('waits for the lock and starts then') === true, 60_000);
      daemon.child.kill('SIGTERM');
      expect(await exitWithin(daemon, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
      expect(daemon.logLines().at(-1)).toMatchObject({ message: 'stopped while waiting to start', signal: 'SIGTERM' });
      expect(daemon.stdout + daemon.stderr).not.toMatch(STACK_FRAME);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('never prints a secret, and prints no stack trace', () => {
    expect(daemons.length).toBeGreaterThan(0);
    for (const daemon of daemons) {
      const output = daemon.stdout + daemon.stderr;
      expect(daemon.logLines().length).toBeGreaterThan(10);
      for (const secret of getWorld().secrets) expect(output).not.toContain(secret);
      expect(output).not.toMatch(STACK_FRAME);
    }
  });
});
