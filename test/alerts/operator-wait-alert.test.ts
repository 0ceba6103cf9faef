// The alert for a job that began to wait for an operator's fix: for what waits on a service
// (ServiceNow, the provider), with the refusal and what to do; none for a mail, which waits on
// the very SMTP login an alert mail would need.
import { describe, expect, it } from 'vitest';
import { operatorWaitAlert } from '../../src/alerts/operator-wait-alert.ts';

const job = (kind: 'record' | 'complete' | 'mail', payload: Record<string, unknown> = {}) => ({ id: 7, kind, requestId: 'r_1', payload });

describe('operatorWaitAlert', () => {
  it('names the kind, the job, the refusal and the fix', () => {
    const alert = operatorWaitAlert(job('record'), 'ServiceNow refused the login (HTTP 401): check servicenow.auth.password');
    expect(alert).toMatchObject({ kind: 'credentials', requestId: 'r_1', subject: 'record jobs wait for an operator\'s fix' });
    expect(alert!.text).toContain('A record job (id 7, request r_1) was refused');
    expect(alert!.text).toContain('check servicenow.auth.password');
    expect(alert!.text).toContain('`systemctl reload signrelay`');
  });

  it('raises none for a mail (an acknowledgement or an alert alike): the SMTP login it waits for is what an alert needs', () => {
    expect(operatorWaitAlert(job('mail', { purpose: 'acknowledgement' }), 'the SMTP server refused the login')).toBeNull();
    expect(operatorWaitAlert(job('mail', { purpose: 'alert' }), 'the SMTP server refused the login')).toBeNull();
  });
});
