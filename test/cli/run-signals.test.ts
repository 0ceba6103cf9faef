// How `signrelay run` (a child process) stops when it has nothing to do: SIGTERM or SIGINT
// while IDLE-ing on a real Dovecot, and SIGTERM while the request mailbox cannot be reached
// (reconnect backoff). Each must exit 0 within a few seconds and say so in its log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../support/dovecot-process.ts';
import { startChildWorld, type ChildWorld } from './child-world.ts';
import { exitWithin, killAll, STACK_FRAME, type LogLine, type RunningCli } from './helpers.ts';

const STOP_WITHIN_MS = 5_000;

let world: ChildWorld;
const daemons: RunningCli[] = [];

beforeAll(async () => {
  world = await startChildWorld();
}, 60_000);

afterAll(async () => {
  await killAll();
  await world?.close();
});

function startDaemon(configFile?: string): RunningCli {
  const daemon = world.startDaemon(configFile);
  daemons.push(daemon);
  return daemon;
}

/** imapflow's debug line once the IDLE command is accepted: the daemon is waiting for mail. */
const idling = (line: LogLine) => typeof line.imapMsg === 'string' && line.imapMsg.startsWith('Initiated IDLE');

async function expectStopsOn(daemon: RunningCli, signal: NodeJS.Signals): Promise<void> {
  const started = Date.now();
  daemon.child.kill(signal);
  const exit = await exitWithin(daemon, STOP_WITHIN_MS);
  expect(exit, `no exit within ${STOP_WITHIN_MS} ms of ${signal}; log tail:\n${daemon.stdout.slice(-1500)}`).toEqual({ code: 0, signal: null });
  expect(Date.now() - started).toBeLessThan(STOP_WITHIN_MS);
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
    const daemon = startDaemon(await world.configWithImapPort(closedPort!));
    const disconnected = await daemon.waitForLog('imap watcher disconnected');
    expect(disconnected.code).toBe('imap_unavailable');
    await expectStopsOn(daemon, 'SIGTERM');
  });

  it('printed no secret and no stack trace in any of these runs', () => {
    expect(daemons.length).toBeGreaterThan(0);
    for (const daemon of daemons) {
      for (const secret of world.secrets) expect(daemon.stdout + daemon.stderr).not.toContain(secret);
      expect(daemon.stderr).not.toMatch(STACK_FRAME);
    }
  });
});
