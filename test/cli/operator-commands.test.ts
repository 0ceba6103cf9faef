// `signrelay status`, `requests` and `show` as an operator runs them: another process than
// the daemon (the test's, in-process.ts), beside a running daemon (a child process against
// Dovecot and the simulator), reading its database. The config's secrets are deliberately NOT in the environment: these commands
// must not need them.
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf } from '../integration/world.ts';
import { STOP_WITHIN_MS, useChildWorld } from './child-world.ts';
import { bareEnv, exitWithin, linesOf, STACK_FRAME } from './helpers.ts';
import { runInProcess } from './in-process.ts';
import { shellWord } from '../../src/service-unit.ts';

const getWorld = useChildWorld();
const operator = (args: string[]) => runInProcess([...args, '--config', getWorld().configFile], { env: bareEnv() });

describe('the operator commands beside a running daemon', () => {
  it('status, requests and show tell the truth, in tables and in JSON, and status fails once the daemon stops', async () => {
    const world = getWorld();
    const daemon = world.startDaemon();
    await daemon.waitForLog('imap watcher connected');
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract RITM0010007',
      text: 'Signer: Ann Lee <ann.lee@example.com>\nDue: 30d\n',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf('RITM0010007') }],
      messageId: '<operator-1@corp.example>',
    }));
    await waitFor(() => world.successfulSends().length === 1, { timeoutMs: 20_000, what: 'the send' });
    // Both watchers connected and reported (the reporter writes on every connect), and the send
    // recorded: the simulator counts it when it answers, the daemon commits `sent` a moment later
    // (a loaded run read "uploaded 1" in between).
    await waitFor(async () => {
      const status = await operator(['status', '--json']);
      return status.code === 0 && (JSON.parse(status.stdout) as { requests: Record<string, number> }).requests.sent === 1;
    }, { timeoutMs: 15_000, what: 'a healthy status with the request sent' });

    const status = await operator(['status']);
    expect(status.stderr).toBe('');
    expect(status.stdout).toMatch(/^signrelay: healthy\n/);
    expect(status.stdout).toMatch(new RegExp(`^daemon: +running, pid ${daemon.child.pid}\\b`, 'm'));
    expect(status.stdout).toMatch(/^requests +(connected|idle) +\d+ s ago +0/m);
    expect(status.stdout).toMatch(/^returns +(connected|idle) +\d+ s ago +0/m);
    expect(status.stdout).toMatch(/^requests: +sent 1$/m);
    // The data dir's room, as the README says status shows it — not only once it is short (newcomer review L8).
    expect(status.stdout).toMatch(/^data dir: +\/\S+, [\d.]+ (MB|GB|TB) free$/m);
    expect(status.stdout).not.toMatch(/problems:/);

    const statusJson = JSON.parse((await operator(['status', '--json'])).stdout) as {
      healthy: boolean; daemon: { pid: number; version: string }; watchers: Array<{ name: string; healthy: boolean }>; requests: Record<string, number>;
    };
    expect(statusJson.healthy).toBe(true);
    expect(statusJson.daemon.pid).toBe(daemon.child.pid);
    expect(statusJson.watchers.map((w) => [w.name, w.healthy])).toEqual([['requests', true], ['returns', true]]);
    expect(statusJson.requests).toMatchObject({ sent: 1, delivered: 0 });
    expect((statusJson as unknown as { dataDir: { freeBytes: number } }).dataDir.freeBytes).toBeGreaterThan(0);

    const list = await operator(['requests']);
    expect(list.code).toBe(0);
    const [header, row, ...more] = linesOf(list.stdout);
    expect(header).toMatch(/^ID +STATE +CREATED \(UTC\) +ROUTE +RECORD +REQUESTER +SIGNERS +DUE +REASON$/);
    expect(more).toEqual([]);
    expect(row).toMatch(/^r_[0-9a-f]{12} +sent +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +default +RITM0010007 +\S+@\S+ +1 +\d{4}-\d\d-\d\d +-$/);
    const id = row!.split(/\s+/)[0]!;
    expect(linesOf((await operator(['requests', '--state', 'delivered'])).stdout)).toEqual(['no delivered requests']);
    const listJson = JSON.parse((await operator(['requests', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(listJson).toHaveLength(1);
    expect(listJson[0]).toMatchObject({ id, state: 'sent', recordNumber: 'RITM0010007' });
    expect(listJson[0]).not.toHaveProperty('token');

    for (const key of [id, 'RITM0010007', 'ritm0010007']) {
      const show = await operator(['show', key]);
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toMatch(new RegExp(`^request: +${id}$`, 'm'));
      expect(show.stdout).toMatch(/^state: +sent$/m);
      expect(show.stdout).toMatch(/^signers: +Ann Lee <ann\.lee@example\.com>$/m);
      // The timeline, in order: the states the request went through.
      const states = [...show.stdout.matchAll(/^\S+ \S+ +(?:(\w+) → )?(\w+)\b/gm)].map((m) => m[2]);
      expect(states.filter((s) => ['received', 'stamped', 'uploaded', 'sent'].includes(s!))).toEqual(['received', 'stamped', 'uploaded', 'sent']);
    }
    const showJson = JSON.parse((await operator(['show', id, '--json'])).stdout) as { request: { id: string }; documents: unknown[]; events: unknown[] };
    expect(showJson.request.id).toBe(id);
    expect(showJson.documents).toHaveLength(1);
    expect(showJson.events.length).toBeGreaterThanOrEqual(4);

    daemon.child.kill('SIGTERM');
    expect(await exitWithin(daemon, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
    const stopped = await operator(['status']);
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toMatch(/^signrelay: NOT HEALTHY\n/);
    expect(stopped.stdout).toMatch(/^daemon: +not running$/m);
    expect(stopped.stdout).toMatch(/✗ the daemon is not running/);
  }, 180_000);
});

describe('operator command mistakes', () => {
  it('an unknown request, a bad --state and a bad --limit: one clear line each, no stack trace', async () => {
    const unknown = await operator(['show', 'r_000000000000']);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(/^signrelay: no request r_000000000000 \(give a request id/);
    // A record number a refused mail named is kept by no request: where such mails are listed (newcomer review L6).
    // Both commands named as this configuration's operator must type them (newcomer review L4).
    const config = shellWord(getWorld().configFile);
    expect((await operator(['show', 'RITM0099999'])).stderr).toBe(`signrelay: no request RITM0099999 (give a request id like r_… from \`signrelay requests --config ${config}\`, or a record number; a mail refused at intake keeps no record number: \`signrelay requests --state rejected --config ${config}\` lists them with their subjects and reasons)\n`);
    const badState = await operator(['requests', '--state', 'lost']);
    expect(badState).toMatchObject({ code: 2, stdout: '' });
    expect(badState.stderr).toBe('signrelay requests: --state lost is not a state; use one of received, stamped, uploaded, sent, completed, delivered, rejected, declined, expired, failed, cancelled\n');
    const badLimit = await operator(['requests', '--limit', '0']);
    expect(badLimit).toMatchObject({ code: 2 });
    // Past what SQLite takes: one line, not its "datatype mismatch" stack.
    const hugeLimit = await operator(['requests', '--limit', '9223372036854775807']);
    expect(hugeLimit).toMatchObject({ code: 2, stderr: 'signrelay requests: --limit 9223372036854775807 is not a whole number from 1 to 100000\n' });
    // A negative number: the same line, not parseArgs' "argument is ambiguous … use '--limit=-XYZ'".
    const negativeLimit = await operator(['requests', '--limit', '-5']);
    expect(negativeLimit).toMatchObject({ code: 2, stderr: 'signrelay requests: --limit -5 is not a whole number from 1 to 100000\n' });
    const noId = await operator(['show']);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/^signrelay show: expected 1 argument\(s\)\nusage: signrelay show ID/);
    for (const r of [unknown, badState, badLimit, hugeLimit, negativeLimit, noId]) expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('a data dir the daemon never used: says so and how to fix it', async () => {
    const world = getWorld();
    const other = await world.configWithImapPort(1);
    // configWithImapPort keeps the data dir: point a copy at an empty one instead.
    const { readFile, writeFile } = await import('node:fs/promises');
    const file = `${other}.empty.yaml`;
    await writeFile(file, (await readFile(other, 'utf8')).replace(/data_dir: [^}]*/, `data_dir: ${world.dataDir}-never-used`));
    const r = await runInProcess(['status', '--config', file], { env: bareEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`signrelay: there is no signrelay database in storage.data_dir ${world.dataDir}-never-used: the daemon has not run with this configuration yet (start it, or pass the --config it runs with)\n`);
    // The commands that write say the same, and make no database of their own there.
    for (const command of [['retry', 'r_000000000000'], ['cancel', 'r_000000000000']]) {
      const w = await runInProcess([...command, '--config', file], { env: bareEnv() });
      expect(w.code).toBe(1);
      expect(w.stderr).toBe(r.stderr);
    }
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${world.dataDir}-never-used`)).toBe(false);
  });
});
