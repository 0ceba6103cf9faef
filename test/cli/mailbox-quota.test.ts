// A full request account, end to end (quota review H1, L1): past its quota the mail server
// refuses every new request mail at delivery — the requester gets a bounce, signrelay never
// sees it — while the daemon goes on filing what it has. The daemon reads the quota
// (GETQUOTAROOT) and says so: `status` is unhealthy with the fix, `check` is ✗ with it, and one
// mailbox-full alert is raised for the account its two watchers share. (A server that charges
// the filing and reports no quota: mailbox-quota-refused.test.ts.)
import { describe, expect, it } from 'vitest';
import { API_SECRET, IMAP_PASSWORD, useChildWorld } from './child-world.ts';
import { bareEnv } from './helpers.ts';
import { runInProcess } from './in-process.ts';
import { fillPastQuota } from '../support/full-account.ts';
import { waitFor } from '../support/wait-for.ts';

const getWorld = useChildWorld();
const FOLDERS = 'Processed, Rejected, Completed, Unmatched';

const alerts = (lines: Array<{ message?: unknown; alert?: unknown }>) => lines.filter((l) => l.message === 'operator alert' && l.alert === 'mailbox-full');

describe('a full request account', () => {
  it('status says so with the fix, check is ✗ with it, and one mailbox-full alert is raised for the account both watchers share', async () => {
    const world = getWorld();
    await fillPastQuota(world.dovecot, 'sign');
    const daemon = world.startDaemon();
    // Both watchers read the account's quota after connecting: each logs it, one alert is raised.
    await waitFor(() => daemon.logLines().filter((l) => String(l.message).startsWith('the IMAP account is full')).length === 2, { what: 'both watchers\' quota reads' });
    const raised = alerts(daemon.logLines());
    expect(raised).toEqual([expect.objectContaining({ level: 'warn', subject: 'the IMAP account sign on 127.0.0.1 is full' })]);

    const status = await waitFor(async () => {
      const run = await runInProcess(['status', '--json', '--config', world.configFile], { env: bareEnv() });
      return run.stdout.includes('is full') ? run : null;
    }, { what: 'the problem in status (its next report)' });
    const health = JSON.parse(status.stdout) as { healthy: boolean; problems: string[] };
    expect(status.code).toBe(1);
    expect(health.healthy).toBe(false);
    expect(health.problems).toEqual([expect.stringMatching(new RegExp(`^the IMAP account sign on 127\\.0\\.0\\.1 is full \\(storage 0\\.3 MB of 0\\.3 MB \\(1\\d\\d %\\)\\): the account is at its quota: the mail server refuses new mail to it, so request mails bounce back to their requesters .*, and signrelay never sees them — expire old mail from ${FOLDERS} .*or raise the account's quota`))]);

    const env = bareEnv({ TEST_IMAP_PASSWORD: IMAP_PASSWORD, TEST_SS_API_SECRET: API_SECRET, TEST_SS_REFRESH_TOKEN: world.simulator.issueTokens().refreshToken });
    const check = await runInProcess(['check', '--config', world.configFile], { env });
    expect(check.stdout).toMatch(/^✗ IMAP request mailbox: account storage 0\.\d MB of 0\.3 MB \(1\d\d %\): the account is full — the account is at its quota: the mail server refuses new mail to it/m);
    expect(check.stdout).toContain(`    fix: expire old mail from ${FOLDERS} (signrelay keeps every mail it files there), or raise the account's quota on the mail server`);
  }, 150_000);
});
