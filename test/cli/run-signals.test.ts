// How `signrelay run` (a child process) stops when it has nothing to do: SIGTERM or SIGINT
// while IDLE-ing on a real Dovecot, and SIGTERM while the request mailbox cannot be reached
// (reconnect backoff). Each must exit 0 without waiting on anything (no silent wait of
// STOP_WITHIN_MS: test/cli/helpers.ts exitWithin) and say so in its log.
import { describe, expect, it } from 'vitest';
import { freePorts } from '../support/dovecot-process.ts';
import { STOP_WITHIN_MS, useChildWorld } from './child-world.ts';
import { exitWithin, STACK_FRAME, type LogLine, type RunningCli } from './helpers.ts';

const getWorld = useChildWorld();
const daemons: RunningCli[] = [];

function startDaemon(configFile?: string): RunningCli {
  const daemon = getWorld().startDaemon(configFile);
  daemons.push(daemon);
  return daemon;
}

/** imapflow's debug line once the IDLE command is accepted: the daemon is waiting for mail. */
const idling = (line: LogLine) => typeof line.imapMsg === 'string' && line.imapMsg.startsWith('Initiated IDLE');

async function expectStopsOn(daemon: RunningCli, signal: NodeJS.Signals): Promise<void> {
  daemon.child.kill(signal);
  const exit = await exitWithin(daemon, STOP_WITHIN_MS);
  expect(exit, `no exit after ${signal}: ${STOP_WITHIN_MS} ms without a word (or a minute in all); log tail:\n${daemon.stdout.slice(-1500)}`).toEqual({ code: 0, signal: null });
  const lines = daemon.logLines();
  expect(lines.find((l) => l.message === 'stopping: finishing work in hand')?.signal).toBe(signal);
  expect(lines.at(-1)?.message).toBe('signrelay stopped');
  expect(daemon.stderr).toBe('');
}

describe('signrelay run stops cleanly when idle', () => {
  it('on SIGTERM while waiting in IMAP IDLE', async () => {
    const daemon = startDaemon();
    await daemon.waitForLog(idling);
    await expectStopsOn(daemon, 'SIGTERM');
    expect(daemon.logLines().map((l) => l.message)).toContain('imap watcher stopped');
  });

  it('on SIGINT (Ctrl-C) while waiting in IMAP IDLE', async () => {
    const daemon = startDaemon();
    await daemon.waitForLog(idling);
    await expectStopsOn(daemon, 'SIGINT');
  });

  it('on SIGTERM while the IMAP server cannot be reached and it waits to reconnect', async () => {
    const [closedPort] = await freePorts(1);
    const daemon = startDaemon(await getWorld().configWithImapPort(closedPort!));
    const disconnected = await daemon.waitForLog('imap watcher disconnected');
    expect(disconnected.code).toBe('imap_unavailable');
    await expectStopsOn(daemon, 'SIGTERM');
    // The stop ended the wait for the next attempt: no connection was begun after it was asked
    // (imapflow names each connection: a new \`cid\` is a new attempt).
    const lines = daemon.logLines();
    const asked = lines.findIndex((l) => l.message === 'stopping: finishing work in hand');
    const before = new Set(lines.slice(0, asked).map((l) => l.cid));
    expect(lines.slice(0, asked).filter((l) => l.cid !== undefined).length).toBeGreaterThan(0);
    expect(lines.slice(asked).filter((l) => l.cid !== undefined && !before.has(l.cid)).map((l) => l.imapMsg ?? l.message)).toEqual([]);
  });

  it('printed no secret and no stack trace in any of these runs', () => {
    expect(daemons.length).toBeGreaterThan(0);
    for (const daemon of daemons) {
      for (const secret of getWorld().secrets) expect(daemon.stdout + daemon.stderr).not.toContain(secret);
      expect(daemon.stderr).not.toMatch(STACK_FRAME);
    }
  });
});
