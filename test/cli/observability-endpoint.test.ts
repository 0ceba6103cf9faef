// The loopback /healthz and /metrics endpoint of `signrelay run` (observability.listen),
// scraped over HTTP while the daemon works, and the clear refusal of a non-loopback listen.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf } from '../integration/world.ts';
import { API_SECRET, IMAP_PASSWORD, STOP_WITHIN_MS, useChildWorld } from './child-world.ts';
import { bareEnv, exitWithin, startCli, STACK_FRAME } from './helpers.ts';

const getWorld = useChildWorld();

async function configWith(listen: string): Promise<string> {
  const file = `${getWorld().configFile}.${listen.replace(/\W/g, '_')}.yaml`;
  await writeFile(file, `${await readFile(getWorld().configFile, 'utf8')}\nobservability: {listen: "${listen}"}\n`);
  return file;
}

const env = () => bareEnv({ TEST_IMAP_PASSWORD: IMAP_PASSWORD, TEST_SS_API_SECRET: API_SECRET, TEST_SS_REFRESH_TOKEN: getWorld().simulator.issueTokens().refreshToken });

describe('observability.listen', () => {
  it('serves /healthz (200 while healthy) and /metrics (requests, stages, IMAP), and nothing else', async () => {
    const world = getWorld();
    const daemon = startCli(['run', '--config', await configWith('127.0.0.1:0')], { env: env() });
    const address = String((await daemon.waitForLog('observability endpoint listening')).address);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const base = `http://${address}`;

    await waitFor(async () => (await fetch(`${base}/healthz`)).status === 200, { timeoutMs: 15_000, what: 'a healthy /healthz' });
    const health = await (await fetch(`${base}/healthz`)).json() as { healthy: boolean; watchers: Array<{ name: string; healthy: boolean }>; database: { writable: boolean }; oldestDueJobAgeSeconds: number; problems: string[] };
    expect(health).toMatchObject({ healthy: true, database: { writable: true }, problems: [] });
    expect(health.watchers.map((w) => [w.name, w.healthy])).toEqual([['requests', true], ['returns', true]]);

    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract RITM0010009', text: 'Signer: Ann Lee <ann.lee@example.com>\n',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf('RITM0010009') }], messageId: '<metrics-1@corp.example>',
    }));
    await waitFor(() => world.successfulSends().length === 1, { timeoutMs: 20_000, what: 'the send' });
    // The simulator counts the send when it answers; the daemon records it and ends the job a
    // moment later: the metrics are read once the job is done.
    const response = await waitFor(async () => {
      const answer = await fetch(`${base}/metrics`);
      const text = await answer.text();
      return /^signrelay_job_attempts_total\{kind="submit",outcome="done"\} 1$/m.test(text) ? { answer, text } : undefined;
    }, { timeoutMs: 20_000, what: 'the submit job done in /metrics' });
    expect(response.answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const metrics = response.text;
    expect(metrics).toMatch(/^signrelay_requests\{state="sent"\} 1$/m);
    expect(metrics).toMatch(/^signrelay_stage_duration_seconds_count\{stage="submit"\} 1$/m);
    expect(metrics).toMatch(/^signrelay_job_attempts_total\{kind="submit",outcome="done"\} 1$/m);
    expect(metrics).toMatch(/^signrelay_imap_connected\{mailbox="requests"\} 1$/m);
    expect(metrics).toMatch(/^signrelay_imap_connected\{mailbox="returns"\} 1$/m);
    for (const secret of world.secrets) expect(metrics).not.toContain(secret);

    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);

    daemon.child.kill('SIGTERM');
    expect(await exitWithin(daemon, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
  }, 180_000);

  it('refuses a non-loopback address when the configuration is read, naming the setting', async () => {
    const daemon = startCli(['run', '--config', await configWith('0.0.0.0:9464')], { env: env() });
    expect(await exitWithin(daemon, 15_000)).toEqual({ code: 1, signal: null });
    expect(daemon.stderr).toMatch(/ has a problem:\n {2}observability\.listen: 0\.0\.0\.0 is not a loopback address; the endpoint is unauthenticated/);
    expect(daemon.stderr).not.toMatch(STACK_FRAME);
  });
});
