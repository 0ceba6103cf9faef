// The alert for a job that began to wait for an operator's fix: for what waits on a service
// (ServiceNow, the provider), with the refusal and what to do; none for a mail, which waits on
// the very SMTP login an alert mail would need.
import { describe, expect, it } from 'vitest';
import { operatorWaitAlert } from '../../src/alerts/operator-wait-alert.ts';

const job = (kind: 'record' | 'complete' | 'mail', payload: Record<string, unknown> = {}) => ({ id: 7, kind, requestId: 'r_1', payload });

describe('operatorWaitAlert', () => {
  it('names the kind, the job, the refusal and the fix: the unit to reload under systemd', () => {
    const alert = operatorWaitAlert(job('record'), 'ServiceNow refused the login (HTTP 401): check servicenow.auth.password', '/var/lib/signrelay', { INVOCATION_ID: 'abc' });
    expect(alert).toMatchObject({ kind: 'credentials', requestId: 'r_1', subject: 'record jobs wait for an operator\'s fix' });
    expect(alert!.text).toBe('A record job (id 7, request r_1) was refused, and it and the jobs of its kind wait until the cause is fixed:\n' +
      'ServiceNow refused the login (HTTP 401): check servicenow.auth.password\n\n' +
      'Fix the setting or credential it names, then `systemctl reload signrelay` (`restart` for a credential file): the oldest waiting job of each kind is tried at once, ' +
      'and the rest follow when it succeeds. Until then they are tried every few minutes; `signrelay status` lists them.');
  });

  it('run by hand with --config (no systemd): the process to signal and the configuration the status command reads (newcomer review L4)', () => {
    const alert = operatorWaitAlert(job('record'), 'refused', '/tmp/sandbox/data', { SIGNRELAY_CONFIG: '/tmp/sandbox/signrelay.yaml' });
    expect(alert!.text).toBe('A record job (id 7, request r_1) was refused, and it and the jobs of its kind wait until the cause is fixed:\nrefused\n\n' +
      'Fix the setting or credential it names, then `kill -HUP "$(cat /tmp/sandbox/data/signrelay.pid)"` (for a credential file, stop it and start it again): the oldest waiting job of each kind is tried at once, ' +
      'and the rest follow when it succeeds. Until then they are tried every few minutes; `signrelay status --config /tmp/sandbox/signrelay.yaml` lists them.');
  });

  it('raises none for a mail (an acknowledgement or an alert alike): the SMTP login it waits for is what an alert needs', () => {
    expect(operatorWaitAlert(job('mail', { purpose: 'acknowledgement' }), 'the SMTP server refused the login', '/var/lib/signrelay')).toBeNull();
    expect(operatorWaitAlert(job('mail', { purpose: 'alert' }), 'the SMTP server refused the login', '/var/lib/signrelay')).toBeNull();
  });
});
