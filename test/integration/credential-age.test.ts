// Credentials that age with the other provider and ServiceNow's OAuth client: the daemon on
// real Dovecot with the Signicat simulator follows provider.client_secret and
// servicenow.auth.client_secret; made old in the store between two runs, they are mailed
// to the operators once (a restart adds nothing) and shown on /metrics. (The Secured
// Signing path, with check and status, is test/cli/credential-age.test.ts.)
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderPrometheus } from '../../src/health/prometheus.ts';
import { waitFor } from '../support/wait-for.ts';
import { ALERTS_TO, API_SECRET, SN_CLIENT_SECRET, startWorld, type World } from './world.ts';

let world: World;
beforeAll(async () => {
  world = await startWorld({ provider: 'signicat', servicenowAuth: 'oauth' });
}, 60_000);
afterAll(async () => {
  await world?.close();
});

const DAY_MS = 86_400_000;
const alertMails = () => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO) && /credentials due for rotation/.test(m.parsed?.subject ?? ''));
const queuedAlerts = () => (world.daemon!.db.prepare("SELECT count(*) AS n FROM jobs WHERE kind = 'mail' AND json_extract(payload, '$.purpose') = 'alert'").get() as { n: number }).n;

it('Signicat\'s client secret and the ServiceNow OAuth client secret: followed, alerted once, on /metrics', async () => {
  world.startDaemon();
  const settings = (world.daemon!.db.prepare('SELECT setting FROM credential_fingerprints ORDER BY setting').all() as Array<{ setting: string }>).map((r) => r.setting);
  expect(settings).toEqual(['mailboxes.requests.password', 'mailboxes.returns.password', 'provider.client_secret', 'servicenow.auth.client_secret', 'servicenow.auth.password']);
  await world.stopDaemon();

  const db = new Database(join(world.config.storage.data_dir, 'signrelay.db'));
  db.prepare("UPDATE credential_fingerprints SET first_seen_at = ? WHERE setting IN ('provider.client_secret', 'servicenow.auth.client_secret')")
    .run(new Date(Date.now() - 100 * DAY_MS).toISOString());
  db.close();

  world.startDaemon();
  await waitFor(() => alertMails().length === 1, { timeoutMs: 15_000, what: 'the alert mail' });
  const mail = alertMails()[0]!.parsed!;
  expect(mail.subject).toBe('[signrelay] credentials due for rotation: provider.client_secret, servicenow.auth.client_secret');
  expect(mail.text).toContain('  provider.client_secret: 100 days');
  const metrics = renderPrometheus(world.daemon!.metrics.collect());
  expect(metrics).toMatch(/^signrelay_credential_age_seconds\{setting="provider\.client_secret"\} 864\d{4}$/m);
  await world.stopDaemon();

  world.startDaemon();
  expect(queuedAlerts()).toBe(1);
  for (const secret of [API_SECRET, SN_CLIENT_SECRET]) expect([metrics, mail.text, ...world.logs].join('\n')).not.toContain(secret);
}, 120_000);
