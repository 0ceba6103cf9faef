// `signrelay retry ID` and `signrelay cancel ID` beside a running daemon. Retry: a request
// that failed at the send (the provider refused it for good) goes back to `uploaded`, the
// daemon is told at once, and the document is sent — uploaded once, sent once. Cancel: the
// sent document is withdrawn at the provider by the daemon, woken at once.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf } from '../integration/world.ts';
import { STOP_WITHIN_MS, useChildWorld } from './child-world.ts';
import { bareEnv, exitWithin, linesOf, runCli } from './helpers.ts';
import { runInProcess } from './in-process.ts';
import { retryPlan } from '../../src/cli-io/retry-plan.ts';
import { shellWord } from '../../src/service-unit.ts';

const getWorld = useChildWorld();
const operator = (args: string[]) => runInProcess([...args, '--config', getWorld().configFile], { env: bareEnv() });

function stateOf(id: string): string {
  const db = new Database(join(getWorld().dataDir, 'signrelay.db'), { readonly: true });
  try {
    return (db.prepare('SELECT state FROM requests WHERE id = ?').get(id) as { state: string }).state;
  } finally {
    db.close();
  }
}

/** The text of the request's alert of this kind, as the daemon recorded (and would mail) it. */
function alertText(id: string, kind: string): string {
  const db = new Database(join(getWorld().dataDir, 'signrelay.db'), { readonly: true });
  try {
    return (db.prepare("SELECT json_extract(detail, '$.text') AS text FROM events WHERE request_id = ? AND json_extract(detail, '$.alert') = ?").get(id, kind) as { text: string }).text;
  } finally {
    db.close();
  }
}

describe('signrelay retry and cancel', () => {
  it('resumes a request that failed at the send without uploading again, then withdraws it', async () => {
    const world = getWorld();
    world.simulator.failNext('/SmartTag/Send', { status: 400, body: { ResponseStatus: { ErrorCode: 'ArgumentException', Message: 'signer limit reached' } } });
    const daemon = world.startDaemon();
    await daemon.waitForLog('imap watcher connected');
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract RITM0010021', text: 'Signer: Ann Lee <ann.lee@example.com>\n',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf('RITM0010021') }], messageId: '<retry-1@corp.example>',
    }));
    const failed = async () => linesOf((await operator(['requests', '--state', 'failed'])).stdout);
    await waitFor(async () => (await failed()).length === 2, { timeoutMs: 20_000, what: 'a failed request' });
    const id = (await failed())[1]!.split(/\s+/)[0]!;
    expect((await operator(['show', id])).stdout).toMatch(/^state: +failed \(submitting to the provider failed: .*signer limit reached/m);
    // The daemon's alert names the retry as its operator must type it: with the --config it was started with (newcomer review L4).
    expect(alertText(id, 'provider')).toMatch(/^signrelay gave up sending request r_\w+ \(RITM0010021, from .+\) to Secured Signing: .*signer limit reached.*\n/);
    expect(alertText(id, 'provider').split('\n').at(-1)).toBe(`The stamped PDF is kept: fix the cause, then \`signrelay retry ${id} --config ${shellWord(world.configFile)}\`.`);
    const uploads = () => world.simulator.calls.filter((c) => c.path.includes('/Document/Uploader') && c.status === 200).length;
    expect(uploads()).toBe(1);

    const retry = await operator(['retry', id]);
    expect(retry.stderr).toBe('');
    expect(retry.stdout).toBe(`request ${id} is uploaded again; its submit job is queued for the daemon (pid ${daemon.child.pid})\n`);
    // SIGUSR2 wakes the runner: well before its 30 s look at the table.
    await waitFor(() => stateOf(id) === 'sent', { timeoutMs: 10_000, what: 'the retried send' });
    expect(uploads()).toBe(1);
    expect(world.successfulSends()).toHaveLength(1);
    expect((await operator(['show', id])).stdout).toMatch(/failed → uploaded/);

    const again = await operator(['retry', id]);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toBe(`signrelay: request ${id} is sent, not failed: only a failed request can be retried\n`);

    // Now withdraw it: the daemon does it at once (SIGUSR2), the provider forgets the document.
    const reference = world.sentReferences()[0]!;
    const cancel = await operator(['cancel', id, '--reason', 'sent by mistake', '--json']);
    expect(JSON.parse(cancel.stdout)).toEqual({ request: id, job: 'cancel', daemonPid: daemon.child.pid, held: false });
    await waitFor(() => stateOf(id) === 'cancelled', { timeoutMs: 10_000, what: 'the cancellation' });
    await waitFor(() => !world.simulator.documents.has(reference), { timeoutMs: 10_000, what: 'the withdrawal at the provider' });
    expect((await operator(['show', id])).stdout).toMatch(/^state: +cancelled \(cancelled by an operator: sent by mistake\)$/m);
    const twice = await operator(['cancel', id]);
    expect(twice).toMatchObject({ code: 1, stderr: `signrelay: request ${id} cannot be cancelled: it is cancelled\n` });
    daemon.child.kill('SIGTERM');
    expect(await exitWithin(daemon, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
  }, 180_000);
});

describe('retryPlan', () => {
  const failedFrom = (from: 'received' | 'stamped' | 'uploaded' | 'sent' | 'completed' | 'rejected') =>
    [{ id: 1, at: '', requestId: 'r_1', kind: 'transition' as const, toState: 'received' as const }, { id: 2, at: '', requestId: 'r_1', kind: 'transition' as const, fromState: from, toState: 'failed' as const }];
  it.each([
    ['uploaded', 'submit'], ['stamped', 'submit'], ['sent', 'complete'], ['completed', 'complete'],
  ] as const)('failed from %s → back to it, %s job', (from, job) => {
    expect(retryPlan({ id: 'r_1', state: 'failed' }, failedFrom(from))).toMatchObject({ ok: true, backTo: from, job });
  });
  it('refuses a request that is not failed, or whose failure has no step to retry', () => {
    expect(retryPlan({ id: 'r_1', state: 'sent' }, [])).toEqual({ ok: false, problem: 'request r_1 is sent, not failed: only a failed request can be retried' });
    expect(retryPlan({ id: 'r_1', state: 'failed' }, [])).toMatchObject({ ok: false });
    expect(retryPlan({ id: 'r_1', state: 'failed' }, failedFrom('received'))).toEqual({ ok: false, problem: 'request r_1 failed from received; there is no step to retry' });
  });
});
