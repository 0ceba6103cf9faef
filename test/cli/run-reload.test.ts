// SIGHUP: `signrelay run` reloads its configuration and credentials without dropping work —
// the rotation practice (a new IMAP password in the credential file, then a reload) — and a
// broken configuration changes nothing, nor mail settings that do not work.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf } from '../integration/world.ts';
import { API_SECRET, IMAP_PASSWORD, STOP_WITHIN_MS, useChildWorld } from './child-world.ts';
import { bareEnv, exitWithin, startCli } from './helpers.ts';
import { shellWord } from '../../src/service-unit.ts';

const getWorld = useChildWorld();

async function request(record: string): Promise<void> {
  await getWorld().dovecot.deliver('sign@corp.example', await buildMail({
    subject: `Contract ${record}`, text: 'Signer: Ann Lee <ann.lee@example.com>\n',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf(record) }], messageId: `<reload-${record}@corp.example>`,
  }));
}

it('rotates the IMAP password on SIGHUP without a restart, and refuses a broken configuration without stopping', async () => {
  const world = getWorld();
  const secretFile = join(world.dataDir, '..', 'imap-password');
  await writeFile(secretFile, `${IMAP_PASSWORD}\n`);
  const configFile = join(world.dataDir, '..', 'reload.yaml');
  const good = (await readFile(world.configFile, 'utf8')).replace('password: "${TEST_IMAP_PASSWORD}"', `password: {file: "${secretFile}"}`);
  expect(good).toContain(secretFile);
  await writeFile(configFile, good);
  const daemon = startCli(['run', '--config', configFile], {
    env: bareEnv({ TEST_SS_API_SECRET: API_SECRET, TEST_SS_REFRESH_TOKEN: world.simulator.issueTokens().refreshToken }),
  });
  await daemon.waitForLog('imap watcher connected');
  await request('RITM0010011');
  await waitFor(() => world.successfulSends().length === 1, { timeoutMs: 20_000, what: 'the first send' });

  // The rotation: the server takes a new password, the credential file gets it, then SIGHUP.
  const rotated = 'imap-pass-rotated-must-not-leak-77';
  await world.dovecot.setPassword('sign', rotated);
  await writeFile(secretFile, `${rotated}\n`);
  daemon.child.kill('SIGHUP');
  await daemon.waitForLog('configuration reloaded');
  await request('RITM0010012');
  await waitFor(() => world.successfulSends().length === 2, { timeoutMs: 20_000, what: 'the send after the reload' });

  // A broken file: refused, logged, and the daemon goes on with what it has.
  await writeFile(configFile, `${good}\nthis: [is not: valid\n`);
  daemon.child.kill('SIGHUP');
  const refused = await daemon.waitForLog('configuration reload refused; still running with the previous configuration');
  expect(String(refused.error)).toMatch(/reload\.yaml: not valid YAML at line \d+/);
  // A password the server does not take (written to the file before the server had it):
  // refused before the running daemon stops, which reads on with the one that works.
  const mistyped = 'imap-pass-mistyped-must-not-leak-58';
  await writeFile(configFile, good);
  await writeFile(secretFile, `${mistyped}\n`);
  daemon.child.kill('SIGHUP');
  const unusable = await daemon.waitForLog((l) => l.message === 'configuration reload refused; still running with the previous configuration' && String(l.error).includes('mail settings'));
  // `check` named with the configuration the daemon was started with (newcomer review L4).
  expect(String(unusable.error)).toMatch(/^the new configuration's mail settings do not work — IMAP request mailbox \(mailboxes\.requests\): .+\. Fix them \(`signrelay check --config [^`]+` tries them all\) and reload again$/);
  expect(String(unusable.error).endsWith(`. Fix them (\`signrelay check --config ${shellWord(configFile)}\` tries them all) and reload again`)).toBe(true);
  await writeFile(secretFile, `${rotated}\n`);

  // A moved data dir: refused too — the lock and the work in hand stay where they are.
  await writeFile(configFile, good.replace(`data_dir: ${world.dataDir}`, `data_dir: ${world.dataDir}-moved`));
  daemon.child.kill('SIGHUP');
  const moved = await daemon.waitForLog((l) => l.message === 'configuration reload refused; still running with the previous configuration' && String(l.error).startsWith('storage.data_dir'));
  expect(String(moved.error)).toBe(`storage.data_dir cannot change on a reload (${world.dataDir} → ${world.dataDir}-moved): it holds the daemon's lock and its work in hand; stop the service, move the directory, then start it`);
  await request('RITM0010013');
  await waitFor(() => world.successfulSends().length === 3, { timeoutMs: 20_000, what: 'the send after the refused reloads' });

  daemon.child.kill('SIGTERM');
  expect(await exitWithin(daemon, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
  expect(daemon.stderr).toBe('');
  // One process throughout; every request sent exactly once; no secret printed, old or new.
  expect(daemon.logLines().filter((l) => l.message === 'signrelay started')).toHaveLength(2);
  expect(new Set(world.sentReferences()).size).toBe(3);
  expect(world.sentReferences()).toHaveLength(3);
  for (const secret of [...world.secrets, rotated, mistyped]) expect(daemon.stdout).not.toContain(secret);
}, 180_000);
