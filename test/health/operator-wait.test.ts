// A credential a service refuses (here ServiceNow's password and the SMTP login, a rotation
// gone wrong) makes every job that needs it wait for an operator's fix: uncounted, tried every
// few minutes, never due for long, never given up. The health views must say so — `status`
// not healthy with the error, /healthz 503, a gauge — and an alert is raised (its own mail
// waits for the same SMTP login, and raises none of its own).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStatusCommand } from '../../src/commands/status.ts';
import { startObservabilityServer, type ObservabilityServer } from '../../src/health/observability-server.ts';
import { HEALTH_LIMITS } from '../../src/health/health-limits.ts';
import { renderPrometheus } from '../../src/health/prometheus.ts';
import { silentLogger } from '../../src/log.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getDocuments, getRequest, listRequests, type RequestRow } from '../../src/store/requests.ts';
import { minimalConfigYaml, runOperator, tempDir, type TempDir } from '../cli/helpers.ts';
import { buildMail, contractPdf, startWorld, reportOnFailure, type World } from '../integration/world.ts';
import { waitUntil } from '../support/wait-for-event.ts';

let world: World;
let dir: TempDir;
let configFile: string;
let request: RequestRow;
let endpoint: ObservabilityServer;

reportOnFailure(() => world);

const status = (args: string[] = []) => runOperator(runStatusCommand, args, configFile);

beforeAll(async () => {
  world = await startWorld({ smtpAuth: { user: 'signrelay', pass: 'the-right-smtp-pass-5150' } });
  (world.config.servicenow.auth as { password: string }).password = 'stale-sn-password-0000';
  world.config.smtp.user = 'signrelay';
  world.config.smtp.password = 'stale-smtp-password-0000';
  world.startDaemon();
  dir = await tempDir('operator-wait-');
  configFile = await dir.file('operator.yaml', minimalConfigYaml('routes: {default: {allowed_senders: ["*@corp.example"]}}', world.config.storage.data_dir));
  endpoint = await startObservabilityServer({
    listen: '127.0.0.1:0', db: world.daemon!.db, metrics: world.daemon!.metrics, limits: { ...HEALTH_LIMITS, maxPdfBytes: world.config.limits.max_pdf_bytes },
    watchers: { requests: world.daemon!.requestWatcher, returns: world.daemon!.returnWatcher }, logger: silentLogger(),
  });
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: 'Contract for RITM0010001', text: 'Signer: Ann Lee <ann.lee@example.com>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  const db = world.daemon!.db;
  request = await waitUntil(world.daemon!.events, () => listRequests(db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0010001'), { what: 'the request sent' });
  await world.simulator.complete(getDocuments(db, request.id)[0]!.providerRef!);
  await waitUntil(world.daemon!.events, () => {
    const jobs = jobsForRequest(db, request.id);
    return ['complete', 'mail'].every((kind) => jobs.some((j) => j.kind === kind && j.state === 'pending' && j.waitingFor === 'operator'));
  }, { what: 'the delivery and the acknowledgement waiting for an operator' });
}, 180_000);

afterAll(async () => {
  await endpoint?.close();
  await world?.close();
  await dir?.remove();
});

describe('jobs waiting for an operator\'s fix', () => {
  it('are stuck: signed, not on the record, the jobs uncounted', () => {
    const db = world.daemon!.db;
    expect(getRequest(db, request.id)!.state).toBe('completed');
    expect(world.servicenow.records.find((r) => r.number === 'RITM0010001')!.attachments).toHaveLength(0);
    const waiting = jobsForRequest(db, request.id).filter((j) => j.state === 'pending' && j.waitingFor === 'operator');
    expect(waiting.every((j) => j.attempts === 0)).toBe(true);
  });

  it('make `signrelay status` not healthy, naming the refusal and the fix', async () => {
    const text = await status();
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^signrelay: NOT HEALTHY$/m);
    // The test's daemon runs by hand — or under systemd, where the suite itself runs as a service.
    expect(text.stdout).toMatch(/\d+ jobs? waits? for an operator's fix: .*refused.*\(fix it, then (`systemctl reload signrelay` — `restart`|`kill -HUP "\$\(cat \S+\/signrelay\.pid\)"` — a stop and a start) for a credential file — tries them again at once\)/);
    expect(text.stdout).toMatch(/retrying \(\d+ for an operator's fix\)/);
  });

  it('make GET /healthz answer 503, and /metrics count them', async () => {
    const res = await fetch(`http://${endpoint.address}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ healthy: false, problems: [expect.stringMatching(/wait for an operator's fix/)] });
    const waiting = /^signrelay_jobs_waiting_for_operator (\d+)$/m.exec(renderPrometheus(world.daemon!.metrics.collect()));
    expect(Number(waiting?.[1])).toBeGreaterThanOrEqual(2);
  });

  it('raise a credentials alert for what waits on ServiceNow, none for the mails that wait on the SMTP login (an alert could not be mailed either)', () => {
    const db = world.daemon!.db;
    const alerts = db.prepare("SELECT json_extract(detail, '$.subject') AS subject FROM events WHERE json_extract(detail, '$.alert') = 'credentials'").all() as Array<{ subject: string }>;
    expect(alerts.map((a) => a.subject)).toContain('complete jobs wait for an operator\'s fix');
    expect(alerts.every((a) => /^(complete|record) jobs wait for an operator's fix$/.test(a.subject))).toBe(true);
    // One per kind that began to wait, not one per try.
    expect(new Set(alerts.map((a) => a.subject)).size).toBe(alerts.length);
  });
});
