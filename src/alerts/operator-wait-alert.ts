// The alert for a job that began to wait for an operator's fix: a service refused a
// credential or a setting (ServiceNow's 401, the provider's key, the SMTP login, a redirect).
// Such a job is never counted as failing and never due for long, so without this nothing but
// the health views would tell anyone. An alert's own mail that waits raises none: the SMTP
// login it needs is what is refused, and it would only queue another mail that waits. Pure.
import type { Alert } from './raise-alert.ts';
import type { JobRow } from '../store/jobs.ts';

export function operatorWaitAlert(job: Pick<JobRow, 'id' | 'kind' | 'requestId' | 'payload'>, error: string): Alert | null {
  if (job.kind === 'mail' && job.payload.purpose === 'alert') return null;
  return {
    kind: 'credentials',
    requestId: job.requestId,
    subject: `${job.kind} jobs wait for an operator's fix`,
    text: `A ${job.kind} job (id ${job.id}${job.requestId ? `, request ${job.requestId}` : ''}) was refused, and it and the jobs of its kind wait until the cause is fixed:\n${error}\n\n` +
      'Fix the setting or credential it names, then `systemctl reload signrelay`: the oldest waiting job of each kind is tried at once, and the rest follow when it succeeds. Until then they are tried every few minutes; `signrelay status` lists them.',
  };
}
