// The alert for a job that began to wait for an operator's fix: a service refused a
// credential or a setting (ServiceNow's 401, the provider's key, the SMTP login, a redirect).
// Such a job is never counted as failing and never due for long, so without this nothing but
// the health views would tell anyone. A mail that waits raises none: what it waits for is the
// SMTP login (or TLS setting), which every alert mail needs too — one queued each hour would
// only wait beside it, and all be mailed, stale, once the login works. Pure.
import type { Alert } from './raise-alert.ts';
import type { JobRow } from '../store/jobs.ts';
import { operatorCommand, reloadCommand, underSystemd } from '../service-unit.ts';

/** `env` and `dataDir`: the daemon's own, which name its unit or its pid file (a daemon run by hand is no unit). */
export function operatorWaitAlert(job: Pick<JobRow, 'id' | 'kind' | 'requestId' | 'payload'>, error: string, dataDir: string, env: NodeJS.ProcessEnv = process.env): Alert | null {
  if (job.kind === 'mail') return null;
  const restart = underSystemd(env) ? '(`restart` for a credential file)' : '(for a credential file, stop it and start it again)';
  return {
    kind: 'credentials',
    requestId: job.requestId,
    subject: `${job.kind} jobs wait for an operator's fix`,
    text: `A ${job.kind} job (id ${job.id}${job.requestId ? `, request ${job.requestId}` : ''}) was refused, and it and the jobs of its kind wait until the cause is fixed:\n${error}\n\n` +
      `Fix the setting or credential it names, then \`${reloadCommand(env, dataDir)}\` ${restart}: the oldest waiting job of each kind is tried at once, and the rest follow when it succeeds. Until then they are tried every few minutes; \`${operatorCommand('status', env)}\` lists them.`,
  };
}
