// One request that failed at delivery (ServiceNow 403), was fixed and `signrelay retry`-ed,
// and ended `delivered`: what the operator's views say about it afterwards. The failure is
// history (the timeline), not the delivered request's reason; the job given up no longer
// counts as standing; the stages are observed once each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRequestsCommand } from '../../src/commands/requests.ts';
import { runRetryCommand } from '../../src/commands/retry.ts';
import { runShowCommand } from '../../src/commands/show.ts';
import { runStatusCommand } from '../../src/commands/status.ts';
import { renderPrometheus } from '../../src/health/prometheus.ts';
import { getRequest, type RequestRow } from '../../src/store/requests.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { minimalConfigYaml, runOperator, tempDir, type TempDir } from '../cli/helpers.ts';
import { sendRequest, useWorld } from '../integration/world.ts';
import { waitUntil } from '../support/wait-for-event.ts';

const getWorld = useWorld();
let dir: TempDir;
let configFile: string;
let request: RequestRow;

const operator = (run: Parameters<typeof runOperator>[0], args: string[]) => runOperator(run, args, configFile);

beforeAll(async () => {
  const world = getWorld();
  dir = await tempDir('retried-views-');
  configFile = await dir.file('operator.yaml', minimalConfigYaml('routes: {default: {allowed_senders: ["*@corp.example"]}}', world.config.storage.data_dir));
  const sent = await sendRequest(world, 'RITM0010001');
  request = sent.request;
  // Wait until the "sent" work note is on the record, so only the delivery meets the 403.
  await waitUntil(world.daemon!.events, () => jobsForRequest(world.daemon!.db, request.id).every((j) => j.state !== 'pending'), { what: 'the sent note written' });
  world.servicenow.forbidTable('sc_req_item');
  await world.simulator.complete(sent.reference);
  await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'failed', { what: 'the request failed on the 403' });
  await waitUntil(world.daemon!.events, () => jobsForRequest(world.daemon!.db, request.id).every((j) => j.state !== 'pending'), { what: 'failure note given up too' });
  // The operator fixes the permission and retries, as docs/operations.md says.
  world.servicenow.allowTable('sc_req_item');
  const wake = () => world.daemon!.jobs.poke();
  process.on('SIGUSR2', wake); // `retry` wakes the daemon holding the data dir: this process
  try {
    const retried = await operator(runRetryCommand, [request.id]);
    expect(retried.code, retried.stderr).toBe(0);
    await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { what: 'the retried request delivered' });
    await world.daemon!.jobs.idle();
  } finally {
    process.off('SIGUSR2', wake);
  }
}, 180_000);

afterAll(async () => {
  await dir?.remove();
});

describe('a request that failed, was retried and got delivered', () => {
  it('really is delivered: the signed PDF is on the record', () => {
    const record = getWorld().servicenow.records.find((r) => r.number === 'RITM0010001')!;
    expect(record.attachments.length).toBeGreaterThanOrEqual(1);
    expect(getRequest(getWorld().daemon!.db, request.id)!.state).toBe('delivered');
  });

  it('shows no reason beside the delivered state: the 403 stays in its timeline', async () => {
    const list = await operator(runRequestsCommand, []);
    const row = list.stdout.split('\n').find((l) => l.startsWith(request.id))!;
    expect(row).toMatch(/ delivered /);
    expect(row).not.toMatch(/403/);
    const show = await operator(runShowCommand, [request.id]);
    expect(show.stdout).toMatch(/^state: +delivered$/m);
    expect(show.stdout).toMatch(/completed → failed: ServiceNow refused to attach/);
    const json = JSON.parse((await operator(runRequestsCommand, ['--json'])).stdout) as Array<{ id: string; state: string; reason: string | null }>;
    expect(json.find((r) => r.id === request.id)).toMatchObject({ state: 'delivered', reason: null });
  });

  it('counts the given-up delivery no more once the request was retried, in status and /metrics', async () => {
    const status = await operator(runStatusCommand, ['--json']);
    const report = JSON.parse(status.stdout) as { queue: { failed: number }; requests: Record<string, number> };
    expect(report.requests.failed).toBe(0);
    // The delivery given up was retried; nothing else of the request was given up.
    expect(jobsForRequest(getWorld().daemon!.db, request.id).filter((j) => j.state === 'failed').map((j) => j.kind)).toEqual(['complete']);
    expect(report.queue.failed).toBe(0);
    const text = renderPrometheus(getWorld().daemon!.metrics.collect());
    expect(text).toMatch(/^signrelay_jobs_failed 0$/m);
    expect(text).toMatch(/^# HELP signrelay_jobs_failed Jobs given up that still stand/m);
  });

  it('observes each stage once, the delivery from its first start (the outage and the retry in it)', async () => {
    const text = renderPrometheus(getWorld().daemon!.metrics.collect());
    expect(text).toMatch(/^signrelay_requests\{state="delivered"\} 1$/m);
    for (const stage of ['submit', 'signing', 'delivery']) expect(text).toMatch(new RegExp(`^signrelay_stage_duration_seconds_count\\{stage="${stage}"\\} 1$`, 'm'));
    const db = getWorld().daemon!.db;
    const at = (to: string, pick: 'min' | 'max') => Date.parse((db.prepare(`SELECT ${pick}(at) AS at FROM events WHERE request_id = ? AND kind = 'transition' AND to_state = ?`).get(request.id, to) as { at: string }).at);
    const delivery = /^signrelay_stage_duration_seconds_sum\{stage="delivery"\} (\S+)$/m.exec(text)!;
    expect(Number(delivery[1])).toBeCloseTo((at('delivered', 'max') - at('completed', 'min')) / 1000, 3);
  });
});
