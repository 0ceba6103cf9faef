// `signrelay init` as an admin runs it: flags (scripts) or piped answers (--prompt); the
// file it writes is the commented example with the answers in, secrets only by reference,
// and a file the daemon accepts. Run in process (in-process.ts): it writes a file and returns.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupId } from '../../src/commands/init.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { linesOf, STACK_FRAME, tempDir } from './helpers.ts';
import { runInProcess } from './in-process.ts';
import { securedSigningOf } from '../support/provider-config.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => { dir = await tempDir('signrelay-init-'); });
afterAll(async () => { await dir.remove(); });

const FLAGS = ['--request-address', 'sign@acme.example', '--imap-host', 'imap.acme.example', '--provider-api-key', 'KEY-123', '--servicenow-instance', 'https://acme.service-now.com/'];

/** Runs init with ANSWERS piped to stdin (for --prompt). */
function initWithInput(args: string[], answers: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runInProcess(['init', ...args], { stdin: Readable.from([answers]) });
}

describe('signrelay init', () => {
  it('writes the commented configuration from flags, with secrets as credential references, that the daemon accepts', async () => {
    const output = join(dir.path, 'etc', 'signrelay.yaml');
    const r = await runInProcess(['init', '--output', output, ...FLAGS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {5}imap-password {9}the request mailbox password$/m);
    // What the configuration needs outside itself before the first start, then the check and the start.
    expect(r.stdout).toContain('2. The mail server must deliver the return address signrelay-returns@acme.example with any +tag (signrelay-returns+TOKEN@acme.example: the signed copies and the providers\' notices) into the folder "Returns" of sign@acme.example\'s mailbox');
    expect(r.stdout).toContain(`3. Sign in to Secured Signing once (provider.oauth is true): signrelay authorize --config ${output}`);
    expect(r.stdout).toContain(`4. Check everything: signrelay check --config ${output}`);
    // Written elsewhere than the unit reads: the start says so (newcomer review L3).
    expect(r.stdout).toContain(`5. Start the service: it runs /etc/signrelay/signrelay.yaml — move ${output} there, then: systemctl enable --now signrelay`);
    expect((await stat(output)).mode & 0o777).toBe(0o640);
    // 0640: the service's user reads it through the service's group — given to it where that
    // group exists (and init runs as root), else the first next step says how.
    const serviceGid = groupId('signrelay');
    if (serviceGid !== undefined && process.getuid?.() === 0) {
      expect(linesOf(r.stdout)[0]).toBe(`wrote ${output} (group signrelay, mode 0640: the service's user reads it)`);
      expect((await stat(output)).gid).toBe(serviceGid);
    } else {
      expect(linesOf(r.stdout)[0]).toBe(`wrote ${output}`);
      expect(r.stdout).toContain(`0. Let the service's user read it (mode 0640): chgrp signrelay ${output}`);
    }

    const text = await readFile(output, 'utf8');
    expect(text).toMatch(/^# signrelay configuration for sign@acme\.example, written by `signrelay init`\.$/m);
    expect(text).toContain('# Routes: sign@corp.example is route "default"'); // the explanations stay
    expect(text).toContain('password: { credential: imap-password }');
    expect(text).not.toMatch(/Harriet|hr\.director/);
    // Every comment of the example where the example has it (the YAML library re-printing the
    // file moved the commented Signicat provider under `provider:`), its first line but retitled.
    const commentLines = (yaml: string) => yaml.split('\n').filter((line) => /^\s*#/.test(line));
    const example = await readFile(new URL('../../config/signrelay.example.yaml', import.meta.url), 'utf8');
    expect(commentLines(text).slice(1).filter((l) => !l.startsWith('# observability') && !l.startsWith('#   listen')))
      .toEqual(commentLines(example).slice(1));
    expect(text).toMatch(/^ {4}host: imap\.acme\.example +# required$/m); // a value's own comment stays beside it

    const secrets = Object.fromEntries(['imap-password', 'smtp-password', 'ss-api-secret', 'servicenow-password'].map((f) => [f, `secret-${f}`]));
    // As systemd hands them to the service (LoadCredential=signrelay:DIR names them signrelay_NAME)…
    for (const [file, value] of Object.entries(secrets)) await writeFile(join(dir.path, `signrelay_${file}`), `${value}\n`);
    const config = loadConfigFile(output, { env: { CREDENTIALS_DIRECTORY: dir.path } });
    // …and as an operator's `signrelay check` reads them, from the source directory.
    const source = join(dir.path, 'source');
    await mkdir(source);
    for (const [file, value] of Object.entries(secrets)) await writeFile(join(source, file), value);
    expect(loadConfigFile(output, { env: { SIGNRELAY_CREDENTIALS_SOURCE: source } }).smtp.password).toBe('secret-smtp-password');
    expect(config.mailboxes.requests).toMatchObject({ host: 'imap.acme.example', user: 'sign@acme.example', address: 'sign@acme.example', password: 'secret-imap-password' });
    expect(config.mailboxes.returns.address).toBe('signrelay-returns@acme.example');
    expect(config.smtp).toMatchObject({ host: 'imap.acme.example', from: 'signrelay <sign@acme.example>', password: 'secret-smtp-password' });
    expect(config.provider).toMatchObject({ environment: 'sandbox', api_key: 'KEY-123', api_secret: 'secret-ss-api-secret', referer: 'https://acme.example' });
    expect(config.servicenow).toMatchObject({ instance_url: 'https://acme.service-now.com', auth: { type: 'basic', user: 'signrelay.integration', password: 'secret-servicenow-password' } });
    expect(Object.keys(config.routes)).toEqual(['default']);
    expect(config.routes.default!.allowed_senders).toEqual(['*@acme.example']);
    expect(config.alerts.to).toEqual([]);
    // The monitoring endpoint is left to the operator (off, the default), with its port as an example:
    // two instances written by init must not both ask for one port.
    expect(config.observability.listen).toBeUndefined();
    expect(text).toMatch(/^# observability:\n# {3}listen: 127\.0\.0\.1:9464 +# a port of its own for each signrelay on the host$/m);
  });

  it('finds a group\'s id in a group file', async () => {
    const file = join(dir.path, 'group');
    await writeFile(file, 'root:x:0:\nsignrelayx:x:998:\nsignrelay:x:999:\nbroken\n');
    expect(groupId('signrelay', file)).toBe(999);
    expect(groupId('root', file)).toBe(0);
    expect(groupId('nobody', file)).toBeUndefined();
    expect(groupId('broken', file)).toBeUndefined();
    expect(groupId('signrelay', join(dir.path, 'missing'))).toBeUndefined();
  });

  it('never overwrites without --force', async () => {
    const output = join(dir.path, 'existing.yaml');
    await writeFile(output, 'mine: true\n');
    const refused = await runInProcess(['init', '--output', output, ...FLAGS]);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toBe(`signrelay: ${output} already exists: signrelay init never overwrites a configuration; pass --force to replace it, or --output FILE\n`);
    expect(await readFile(output, 'utf8')).toBe('mine: true\n');
    expect((await runInProcess(['init', '--output', output, '--force', ...FLAGS])).code).toBe(0);
    expect(await readFile(output, 'utf8')).toContain('imap.acme.example');
  });

  it('without a terminal, names the missing answers and writes nothing', async () => {
    const output = join(dir.path, 'missing.yaml');
    const r = await runInProcess(['init', '--output', output, '--request-address', 'sign@acme.example']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('signrelay init: missing --imap-host, --provider-api-key, --servicenow-instance (give them as flags, or run on a terminal to be asked)\n');
    await expect(stat(output)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a bad answer given as a flag, naming it', async () => {
    const r = await runInProcess(['init', '--output', join(dir.path, 'bad.yaml'), ...FLAGS, '--request-address', 'not-an-address']);
    expect(r).toMatchObject({ code: 2, stderr: 'signrelay init: --request-address not-an-address: expected an email address like sign@corp.example\n' });
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('refuses answers the configuration\'s own check refuses by their flags, not by settings of a file it did not write', async () => {
    const output = join(dir.path, 'refused.yaml');
    const r = await runInProcess(['init', '--output', output, ...FLAGS, '--provider-environment', 'prodution', '--allowed-senders', 'not an address']);
    expect(r.code).toBe(2);
    expect(linesOf(r.stderr)).toEqual([
      'signrelay init: nothing written, answers are not accepted:',
      '  --provider-environment prodution: expected sandbox, production or an http(s) URL',
      '  --allowed-senders not an address: "not an address" is neither an address nor *@domain, so it matches no sender',
    ]);
    await expect(stat(output)).rejects.toThrow(/ENOENT/);
    const relative = await runInProcess(['init', '--output', output, ...FLAGS, '--data-dir', 'data']);
    expect(relative).toMatchObject({ code: 2, stderr: 'signrelay init: --data-dir data: expected an absolute path like /var/lib/signrelay (the service does not start where you are)\n' });
  });

  it('--prompt asks for what the flags left out, offers defaults, asks again after a bad answer', async () => {
    const output = join(dir.path, 'prompted.yaml');
    // address, IMAP host, SMTP (default), environment (default), API key, referer (default), a bad URL, the URL, then defaults
    const r = await initWithInput(['--prompt', '--output', output, '--secrets', 'env', '--alerts-to', 'ops@acme.example'], 'sign@acme.example\nimap.acme.example\n\n\nKEY-9\n\nnot a url\nhttps://acme.service-now.com\n\n\n\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('SMTP server for replies [imap.acme.example]: ');
    expect(r.stderr).toContain('ServiceNow instance URL:   expected a URL like https://acme.service-now.com\nServiceNow instance URL: ');
    expect(r.stderr).not.toContain('Operator alert addresses'); // given as a flag
    expect(r.stdout).toMatch(/^ {5}SIGNRELAY_IMAP_PASSWORD {3}the request mailbox password$/m);
    // The unit has no environment file: init says how to give it one.
    const envFile = join(dirname(output), 'signrelay.env');
    expect(r.stdout).toContain(`1. Set these environment variables for the service — in a file of root's (mode 0600), ${envFile}, that \`systemctl edit signrelay\` names as [Service] EnvironmentFile=${envFile}:`);
    expect(r.stdout).toContain(`Check everything: signrelay check --config ${output} --env-file ${envFile}`);
    const config = loadConfigFile(output, { requireSecrets: false });
    expect(securedSigningOf(config).api_key).toBe('KEY-9');
    expect(config.alerts.to).toEqual(['ops@acme.example']);
    expect(await readFile(output, 'utf8')).toContain('password: ${SIGNRELAY_IMAP_PASSWORD}');
  });

  // operator review L7: an answer the configuration's check refuses (an IMAP host with a space,
  // allowed senders without "*@", an http:// instance) was told only after all eleven questions,
  // as a flag ("--imap-host imap corp: …"), and nothing written: every answer to type again.
  it('--prompt asks again at once for an answer the configuration\'s check refuses, saying why', async () => {
    const output = join(dir.path, 'asked-again.yaml');
    const r = await initWithInput(['--prompt', '--output', output, '--alerts-to', ''], [
      'sign@acme.example', 'imap acme', 'imap.acme.example', '', '', 'KEY-9', '',
      'http://acme.service-now.com', 'https://acme.service-now.com', '', 'acme.example', '*@acme.example', '', '',
    ].join('\n'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/IMAP server of that mailbox: {3}[^\n]+\nIMAP server of that mailbox: /);
    expect(r.stderr).toContain('ServiceNow instance URL:   http:// would send the credentials and documents in clear text across the network: write https://acme.service-now.com');
    expect(r.stderr).toMatch(/Who may send requests \(comma-separated addresses or \*@domain\) \[\*@acme\.example\]: {3}[^\n]*did you mean "\*@acme\.example"\?/);
    expect(r.stderr).not.toContain('signrelay init: --');
    const config = loadConfigFile(output, { requireSecrets: false });
    expect(config.mailboxes.requests.host).toBe('imap.acme.example');
    expect(config.routes.default!.allowed_senders).toEqual(['*@acme.example']);
  });

  // env review L1: under umask 077 the file was 0600 in a 0700 directory, and init said "mode 0640: the service's user reads it".
  it('writes the file 0640 and the directories it makes 0755 whatever the umask', async () => {
    const output = join(dir.path, 'umask', 'etc', 'signrelay.yaml');
    const before = process.umask(0o077);
    try {
      const r = await runInProcess(['init', '--output', output, ...FLAGS]);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      process.umask(before);
    }
    expect((await stat(output)).mode & 0o777).toBe(0o640);
    for (const made of [dirname(output), dirname(dirname(output))]) expect((await stat(made)).mode & 0o777, made).toBe(0o755);
  });

  it('--prompt whose input ends early: says what is missing, exit 2, nothing written', async () => {
    const output = join(dir.path, 'ended.yaml');
    const r = await initWithInput(['--prompt', '--output', output], 'sign@acme.example\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/signrelay init: missing --imap-host, --provider-api-key, --servicenow-instance/);
    await expect(stat(output)).rejects.toThrow(/ENOENT/);
  });
});

describe('--name NAME: one signrelay per mailbox (signrelay@NAME.service)', () => {
  it('init --name writes the instance\'s defaults: its data dir, its credentials dir, its unit', async () => {
    const output = join(dir.path, 'hr.yaml');
    const r = await runInProcess(['init', '--name', 'hr', '--output', output, ...FLAGS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(securedSigningOf(loadConfigFile(output, { requireSecrets: false })).api_key).toBe('KEY-123');
    expect(loadConfigFile(output, { requireSecrets: false }).storage.data_dir).toBe('/var/lib/signrelay/hr');
    expect(r.stdout).toContain('Put each secret in its own file in /etc/signrelay/credentials/hr/');
    // The check reads the instance's secrets and this file; the unit runs the instance's own file (newcomer review L3).
    expect(r.stdout).toContain(`Check everything: signrelay check --name hr --config ${output}`);
    expect(r.stdout).toContain(`Start the service: it runs /etc/signrelay/hr.yaml — move ${output} there, then: systemctl enable --now signrelay@hr`);
  });

  // instances review H2: every instance of a domain got signrelay-returns@, and each was told
  // to have it delivered into its own mailbox — one address cannot go to two.
  it('gives each instance a return address of its own, and says where it must be delivered', async () => {
    const configs = [];
    for (const name of ['hr', 'legal']) { // one after the other: --name is read from the process's environment
      const output = join(dir.path, 'own-returns', `${name}.yaml`);
      const r = await runInProcess(['init', '--name', name, '--output', output, ...FLAGS]);
      expect(r.code).toBe(0);
      configs.push({ returns: loadConfigFile(output, { requireSecrets: false }).mailboxes.returns.address, stdout: r.stdout });
    }
    expect(configs.map((c) => c.returns)).toEqual(['signrelay-hr-returns@acme.example', 'signrelay-legal-returns@acme.example']);
    expect(configs[1]!.stdout).toContain('deliver the return address signrelay-legal-returns@acme.example with any +tag (signrelay-legal-returns+TOKEN@acme.example');
  });

  it.each(['status', 'check', 'requests'])('%s --name hr reads /etc/signrelay/hr.yaml; an explicit --config still wins', async (command) => {
    const byName = await runInProcess([command, '--name', 'hr']);
    expect(byName.code).not.toBe(0);
    expect(`${byName.stdout}${byName.stderr}`).toContain('/etc/signrelay/hr.yaml');
    const explicit = await runInProcess([command, '--name', 'hr', '--config', join(dir.path, 'nowhere.yaml')]);
    expect(`${explicit.stdout}${explicit.stderr}`).toContain(join(dir.path, 'nowhere.yaml'));
    expect(`${explicit.stdout}${explicit.stderr}`).not.toContain('/etc/signrelay/hr.yaml');
  });

  // instances review L3: --config /etc/signrelay/legal.yaml named the single unit and read the single unit's credentials.
  it('--config of an instance\'s own file is that instance, as --name is', async () => {
    const r = await runInProcess(['status', '--config', '/etc/signrelay/legal.yaml']);
    expect(r.stderr).toContain('/etc/signrelay/legal.yaml: the file does not exist: there is no instance legal on this host — `signrelay init --name legal` writes its configuration');
    const single = await runInProcess(['status', '--config', '/etc/signrelay/signrelay.yaml']);
    expect(single.stderr).not.toContain('instance');
  });

  it('refuses a name systemd or a file name could not carry, in one line', async () => {
    const r = await runInProcess(['status', '--name', '../etc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('signrelay status: --name "../etc": an instance name is lower-case letters, digits, - and _ (e.g. hr, procurement)\n');
  });
});
