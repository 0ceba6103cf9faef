// The README's path for a new user, against the simulators: `signrelay sandbox` in one
// terminal, `signrelay check` against its configuration in another — all ✓ — then
// `signrelay run` on it: a mailed request is sent, signed by the simulator after a moment,
// and delivered to the record, which `status` and `show` then tell. Once per provider:
// `--provider signicat` writes Signicat's provider block (its client secret a file beside
// the others), and check proves those credentials.
import nodemailer from 'nodemailer';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { bareEnv, exitWithin, killAll, linesOf, REPO, startCli } from './helpers.ts';
import { runInProcess } from './in-process.ts';

afterAll(killAll);

const PROVIDERS = [
  { provider: 'secured-signing', args: [], accepted: /^✓ Secured Signing: signature and OAuth token accepted \(plan \S+, \d+ documents left\)$/, secret: 'ss-api-secret' },
  { provider: 'signicat', args: ['--provider', 'signicat'], accepted: /^✓ Signicat: client credentials and token accepted$/, secret: 'signicat-client-secret' },
];

describe.each(PROVIDERS)('the sandbox with $provider', ({ provider, args, accepted, secret }) => {
  it('check is all green against the sandbox, and the daemon runs the whole loop on it', async () => {
    const sandbox = startCli(['sandbox', ...args, '--sign-after', '1']);
    await waitFor(() => /^ {2}configuration +(\S+)$/m.test(sandbox.stdout), { timeoutMs: 20_000, what: 'the sandbox', describe: () => sandbox.stderr });
    const config = /^ {2}configuration +(\S+)$/m.exec(sandbox.stdout)![1]!;
    const smtpPort = Number(/^ {2}SMTP +127\.0\.0\.1:(\d+)/m.exec(sandbox.stdout)![1]);
    // The provider block is the chosen provider's, its secret in a file of secrets/ like the others.
    const yaml = readFileSync(config, 'utf8');
    const secretFile = `${dirname(config)}/secrets/${secret}`;
    expect(yaml).toContain(`{file: ${JSON.stringify(secretFile)}}`);
    expect(/^provider: \{type: signicat,/m.test(yaml)).toBe(provider === 'signicat');
    // For a person at a terminal: not the demo's debug JSON (some 700 lines for one request).
    expect(yaml).toContain('\nlog: {level: info, format: auto}\n');
    // The agent who clicks "Send for signature" by hand: the password file it names is the simulator's.
    const agentFile = /^ {2}agent +agent\.alice, password in (\S+) /m.exec(sandbox.stdout)?.[1];
    expect(agentFile).toBe(`${dirname(config)}/secrets/servicenow-agent-password`);
    const snUrl = /^ {2}ServiceNow +(\S+)/m.exec(sandbox.stdout)![1]!;
    const asAgent = await fetch(`${snUrl}/api/now/table/sc_req_item?sysparm_limit=1`, {
      headers: { Authorization: `Basic ${Buffer.from(`agent.alice:${readFileSync(agentFile!, 'utf8').trim()}`).toString('base64')}`, Accept: 'application/json' },
    });
    expect(asAgent.status).toBe(200);

    // What it says to try works as printed: here, in a checkout, `signrelay` is not on PATH.
    const tryLines = sandbox.stdout.slice(sandbox.stdout.indexOf('Try, in another terminal:')).split('\n').slice(1, 4).map((l) => l.trim());
    const requestFile = `${dirname(config)}/request.eml`;
    expect(tryLines).toEqual([
      `node ${REPO}bin/signrelay.mjs check --config ${config}`, `node ${REPO}bin/signrelay.mjs run --config ${config}`,
      // A request ready to mail in (install review L5): the file it names is what the daemon delivers below.
      `curl -sS smtp://127.0.0.1:${smtpPort} --mail-from helen.officer@corp.example --mail-rcpt sign@corp.example --upload-file ${requestFile}`,
    ]);
    if (provider === 'signicat') {
      const printed = spawnSync('bash', ['-c', `${tryLines[0]} --json`], { env: bareEnv(), encoding: 'utf8' });
      expect(JSON.parse(printed.stdout).ok, printed.stderr).toBe(true);
    }
    const check = await runInProcess(['check', '--config', config], { env: bareEnv() });
    // Only Secured Signing's OAuth token chain needs the data dir before the first start; Signicat's check makes none.
    const dataDir = /data_dir: "?([^",}\n]+)/.exec(yaml)![1]!;
    expect(existsSync(join(dataDir, 'signrelay.db'))).toBe(provider === 'secured-signing');
    expect(check.stdout, check.stderr).toMatch(/\nall checks passed\n$/);
    expect(check.code).toBe(0);
    const lines = linesOf(check.stdout);
    expect(lines.filter((l) => l.startsWith('✗'))).toEqual([]);
    expect(lines.some((l) => accepted.test(l)), check.stdout).toBe(true);
    expect(lines).toContain('✓ ServiceNow: signrelay.integration may read sc_req_item');
    expect(lines.some((l) => l.startsWith('✓ ServiceNow: signrelay.integration may read attachments'))).toBe(true);

    const daemon = startCli(['run', '--config', config], { env: bareEnv() });
    await daemon.waitForLog('imap watcher connected');
    // Each way the sandbox prints to start a request, one per provider.
    if (provider === 'secured-signing') {
      // The written request, mailed as it is (what the printed curl line sends).
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
      await transport.sendMail({ envelope: { from: 'helen.officer@corp.example', to: ['sign@corp.example'] }, raw: readFileSync(requestFile) });
      transport.close();
    } else {
      // Or from the record: the printed calls, as the agent — the PDF attached, "Send for signature" clicked.
      const onRecord = sandbox.stdout.slice(sandbox.stdout.indexOf('Or start from the record')).split('\n').slice(1, 3).map((l) => l.trim());
      const agentAuth = { Authorization: `Basic ${Buffer.from(`agent.alice:${readFileSync(agentFile!, 'utf8').trim()}`).toString('base64')}` };
      const [, pdfPath, attachUrl] = /^curl -sS -u "agent\.alice:\$\(cat \S+\)" -H 'Content-Type: application\/pdf' --data-binary @(\S+) '(\S+)'$/.exec(onRecord[0]!) ?? [];
      expect(pdfPath).toBe(`${REPO}fixtures/pdf/sample-contract.pdf`);
      const attached = await fetch(attachUrl!, { method: 'POST', headers: { ...agentAuth, 'Content-Type': 'application/pdf' }, body: readFileSync(pdfPath!) });
      expect(attached.status).toBe(201);
      const [, clickUrl] = /^curl -sS -u "agent\.alice:\$\(cat \S+\)" -X POST '(\S+)'$/.exec(onRecord[1]!) ?? [];
      expect(clickUrl).toMatch(new RegExp(`^${snUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/api/now/ui/ui_action/\\w+\\?sysparm_table=sc_req_item&sysparm_sys_id=\\w+$`));
      const clicked = await fetch(clickUrl!, { method: 'POST', headers: { ...agentAuth, Accept: 'application/json' } });
      expect(clicked.status, await clicked.clone().text()).toBe(200);
    }
    const delivered = async () => (await runInProcess(['requests', '--state', 'delivered', '--config', config], { env: bareEnv() })).stdout;
    await waitFor(async () => /RITM0010001/.test(await delivered()), { timeoutMs: 30_000, what: 'the request delivered' });
    const status = await runInProcess(['status', '--config', config], { env: bareEnv() });
    expect(status.stdout).toMatch(/^requests: +delivered 1$/m);
    expect(status.code).toBe(0);

    daemon.child.kill('SIGTERM');
    expect(await exitWithin(daemon, 10_000)).toEqual({ code: 0, signal: null });

    sandbox.child.kill('SIGINT');
    expect(await exitWithin(sandbox, 10_000)).toEqual({ code: 0, signal: null });
    expect(sandbox.stdout).toMatch(/^signed \S+ at the simulator; its completion mail went to the return address$/m);
  }, 180_000);
});

it('--provider names a provider it can simulate', async () => {
  const unknown = await runInProcess(['sandbox', '--provider', 'docusign']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toBe('signrelay sandbox: --provider is secured-signing or signicat, not "docusign" (see --help)\n');
  const help = await runInProcess(['sandbox', '--help']);
  expect(help.stdout).toMatch(/^usage: signrelay sandbox \[--provider NAME\]/);
});

describe('the sandbox with a --dir it cannot use', () => {
  it('says so in one line and starts no server (no stack trace, no hang)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'signrelay-sandbox-dir-')), 'a-file');
    writeFileSync(file, 'x');
    const r = await runInProcess(['sandbox', '--dir', file]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`signrelay sandbox: --dir ${file} cannot be used (ENOTDIR): name a directory this user may write\n`);
  });
});
