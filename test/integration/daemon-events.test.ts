// daemon.events through a request's whole life, on real servers: the watchers tell their
// state, the store each transition (received → … → sent → completed → delivered, in order,
// each from the state before), the job runner each attempt, the watchers each mail filed
// (with its folder and reason), the scheduler its catch-up runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonEventMap } from '../../src/store/daemon-events.ts';
import { getDocuments, getRequest } from '../../src/store/requests.ts';
import { waitForEvent, waitForState } from '../support/wait-for-event.ts';
import { sendRequest, startWorld, type World } from './world.ts';

type Heard = { [K in keyof DaemonEventMap]: { name: K; event: DaemonEventMap[K][0] } }[keyof DaemonEventMap];

describe('daemon.events', () => {
  let world: World;
  const heard: Heard[] = [];
  beforeAll(async () => {
    world = await startWorld();
    const { events } = world.startDaemon();
    // Subscribed before anything could happen: the daemon starts its work asynchronously.
    events.on('request', (event) => heard.push({ name: 'request', event }));
    events.on('job', (event) => heard.push({ name: 'job', event }));
    events.on('mail', (event) => heard.push({ name: 'mail', event }));
    events.on('watcher', (event) => heard.push({ name: 'watcher', event }));
    events.on('scheduler', (event) => heard.push({ name: 'scheduler', event }));
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });
  const of = <K extends keyof DaemonEventMap>(name: K) => heard.filter((h) => h.name === name).map((h) => h.event as DaemonEventMap[K][0]);

  it('tell a request\'s life in order: each transition, its jobs, its mails filed', async () => {
    const { request } = await sendRequest(world, 'RITM0010001');
    const daemon = world.daemon!;
    await world.signing.signAll({ providerOrderId: getRequest(daemon.db, request.id)!.providerOrderId, references: getDocuments(daemon.db, request.id).map((d) => d.providerRef!) });
    await waitForState(daemon, request.id, 'delivered');
    const completionFiled = (m: DaemonEventMap['mail'][0]) => m.mailbox === 'returns' && m.requestId === request.id;
    await waitForEvent(daemon.events, 'mail', completionFiled, { what: 'the completion mail filed', already: () => of('mail').some(completionFiled) });

    const transitions = of('request').filter((t) => t.requestId === request.id);
    expect(transitions.map((t) => `${t.from ?? '∅'} → ${t.to}`)).toEqual([
      '∅ → received', 'received → stamped', 'stamped → uploaded', 'uploaded → sent', 'sent → completed', 'completed → delivered',
    ]);
    const at = transitions.map((t) => t.at.getTime());
    expect(at).toEqual([...at].sort((a, b) => a - b));

    const jobs = of('job').filter((j) => j.requestId === request.id);
    expect(jobs.find((j) => j.kind === 'submit')).toMatchObject({ outcome: 'done', attempt: 1 });
    expect(jobs.find((j) => j.kind === 'complete')).toMatchObject({ outcome: 'done' });

    const filed = of('mail').filter((m) => m.requestId === request.id);
    expect(filed).toEqual([
      expect.objectContaining({ mailbox: 'requests', folder: 'Processed', outcome: 'request', messageId: expect.stringMatching(/^</) }),
      expect.objectContaining({ mailbox: 'returns', folder: 'Completed', outcome: 'completion' }),
    ]);
    expect(filed.every((m) => m.reason.length > 0)).toBe(true);
    // The request mail was filed after the request was stamped (its outcome is committed before the move).
    const order = heard.map((h) => h.event);
    expect(order.indexOf(filed[0]!)).toBeGreaterThan(order.indexOf(transitions[1]!));
  });

  it('tell the watchers\' state and the scheduler\'s catch-up runs', async () => {
    const daemon = world.daemon!;
    for (const mailbox of ['requests', 'returns']) {
      const states = of('watcher').filter((w) => w.mailbox === mailbox).map((w) => w.state);
      expect(states[0]).toBe('connected');
      expect(states).toContain('idle');
    }
    // The catch-up at start runs every task once (never ran before) — but the credential
    // review, which the start itself made and recorded as that task's run (review-credentials.ts).
    const tasks = ['alerts', 'reconcile', 'reminders', 'retention'];
    for (const task of tasks) {
      await waitForEvent(daemon.events, 'scheduler', (run) => run.task === task, { what: `the ${task} run`, already: () => of('scheduler').some((run) => run.task === task) });
    }
    expect(of('scheduler').map((run) => [run.task, run.outcome]).sort()).toEqual(tasks.map((task) => [task, 'ok']).sort());
    expect(daemon.db.prepare("SELECT outcome FROM schedule_runs WHERE task = 'credentials'").get()).toEqual({ outcome: 'ok' });
    await world.stopDaemon();
    expect(of('watcher').filter((w) => w.state === 'stopped').map((w) => w.mailbox).sort()).toEqual(['requests', 'returns']);
  });
});
