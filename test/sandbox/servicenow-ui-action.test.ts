// The ServiceNow simulator's "Send for signature" from the imported update set, without the
// daemon: the notification mail as it goes over SMTP (sender, Auto-Submitted, Precedence,
// subject, Signer line, watermark the instance recognises, the record's attachments), the
// HR notification for a record of an HR case's child table, and the refusals an instance
// gives for a button it does not show or a call it cannot place.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { readUpdateSet, SHIPPED_UPDATE_SET } from '../../src/sandbox/servicenow/update-set.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const AGENT = { user: 'agent.bo', password: 'agent-pw-5521' };
let sink: SmtpSink;
let sn: ServiceNowSimulator;

beforeAll(async () => {
  sink = await startSmtpSink();
  sn = await startServiceNowSimulator({
    users: { [AGENT.user]: AGENT.password, 'hr.only': 'hr-pw-0093' },
    roles: { [AGENT.user]: ['itil', 'sn_hr_core.case_writer'], 'hr.only': ['sn_hr_core.case_writer'] },
    updateSet: { definitions: readUpdateSet(readFileSync(SHIPPED_UPDATE_SET, 'utf8')), mail: { smtp: { host: '127.0.0.1', port: sink.port }, from: 'Acme ServiceNow <acme@service-now.com>' } },
  });
});
afterAll(async () => {
  await sn?.close();
  await sink?.close();
});

const actionOn = (table: string) => sn.updateSet!.uiActions.find((a) => a.table === table)!.sysId;
function click(actionSysId: string, query: string, as = AGENT, method = 'POST') {
  return fetch(`${sn.url}/api/now/ui/ui_action/${actionSysId}${query}`, {
    method, headers: { Authorization: `Basic ${Buffer.from(`${as.user}:${as.password}`).toString('base64')}`, Accept: 'application/json' },
  });
}
function withPdf(table: string, number: string, fields: Record<string, string>, sysClassName?: string) {
  const record = sn.addRecord({ table, number, fields, ...(sysClassName ? { sys_class_name: sysClassName } : {}) });
  sn.attachFile(sysClassName ?? table, record.sysId, { fileName: 'offer.pdf', contentType: 'application/pdf', bytes: Buffer.from('%PDF-1.7 offer') });
  return record;
}

describe('the simulator\'s Send for signature', () => {
  it('mails the notification as the instance does: its sender, Auto-Submitted, the Signer line, a watermark it knows, the attachments', async () => {
    const record = withPdf('sc_req_item', 'RITM0030001', { requested_for: 'u1', 'requested_for.name': 'Ann Lee', 'requested_for.email': 'ann.lee@example.com' });
    const answer = await click(actionOn('sc_req_item'), `?sysparm_table=sc_req_item&sysparm_sys_id=${record.sysId}`);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { result: { notifications: unknown[] } }).result.notifications).toEqual([
      { name: 'signrelay: Send for signature (sc_req_item)', to: 'sign@corp.example', message_id: expect.stringMatching(/^<.+@service-now\.com>$/) },
    ]);
    const mail = await sink.waitFor((m) => m.parsed?.subject === 'Signature request RITM0030001');
    expect(mail.envelope.rcptTo.map((r) => r.address)).toEqual(['sign@corp.example']);
    const parsed = mail.parsed!;
    expect(parsed.from?.text).toBe('"Acme ServiceNow" <acme@service-now.com>');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.headers.get('precedence')).toBe('bulk');
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['offer.pdf', '%PDF-1.7 offer']]);
    const watermark = /Ref:(MSG\d{7}_[A-Za-z0-9]{20})\s*$/.exec(parsed.text ?? '')?.[1];
    expect(parsed.text).toContain('Record: RITM0030001\nSigner: Ann Lee <ann.lee@example.com>\n');
    // The watermark is one the instance issued for this record: sys_watermark names it.
    const lookup = await fetch(`${sn.url}/api/now/table/sys_watermark?sysparm_query=number=${watermark}`, {
      headers: { Authorization: `Basic ${Buffer.from(`${AGENT.user}:${AGENT.password}`).toString('base64')}` },
    });
    expect(((await lookup.json()) as { result: Array<{ source_id: string }> }).result.map((r) => r.source_id)).toEqual([record.sysId]);
  });

  it('on an HR case of a child table, the HR case\'s action and notification apply (sign+hr@, the subject person)', async () => {
    const record = withPdf('sn_hr_core_case', 'HRC0030001', { subject_person: 'u2', 'subject_person.name': 'Bob Stone', 'subject_person.email': 'bob.stone@corp.example' }, 'sn_hr_core_case_payroll');
    expect((await click(actionOn('sn_hr_core_case'), `?sysparm_table=sn_hr_core_case_payroll&sysparm_sys_id=${record.sysId}`, { user: 'hr.only', password: 'hr-pw-0093' })).status).toBe(200);
    const [sent] = sn.notifications.filter((n) => n.record.number === 'HRC0030001');
    expect(sent).toMatchObject({ to: ['sign+hr@corp.example'], notification: 'signrelay: Send for signature (sn_hr_core_case)' });
    expect(sent!.text).toContain('\nSigner: Bob Stone <bob.stone@corp.example>\n');
  });

  it.each([
    ['the requested item\'s action on an HR case', () => actionOn('sc_req_item'), 'sn_hr_core_case', 'RITM0040011', 403, /is on sc_req_item, not on sn_hr_core_case/],
    ['an unknown UI action', () => '0'.repeat(32), 'sc_req_item', 'RITM0040012', 404, /no UI action/],
    ['no record named', () => actionOn('sc_req_item'), null, 'RITM0040013', 400, /sysparm_table and sysparm_sys_id/],
  ])('refuses %s', async (_what, action, table, number, status, detail) => {
    const record = withPdf(table ?? 'sc_req_item', number, {});
    const before = sn.notifications.length;
    const answer = await click(action(), table ? `?sysparm_table=${table}&sysparm_sys_id=${record.sysId}` : '');
    expect(answer.status).toBe(status);
    expect(JSON.stringify(await answer.json())).toMatch(detail);
    expect(sn.notifications).toHaveLength(before);
  });

  it('takes POST only, and an agent without itil does not see the requested item\'s button', async () => {
    const record = withPdf('sc_req_item', 'RITM0030009', { requested_for: 'u1', 'requested_for.name': 'Ann Lee', 'requested_for.email': 'ann.lee@example.com' });
    const query = `?sysparm_table=sc_req_item&sysparm_sys_id=${record.sysId}`;
    expect((await click(actionOn('sc_req_item'), query, AGENT, 'GET')).status).toBe(405);
    const answer = await click(actionOn('sc_req_item'), query, { user: 'hr.only', password: 'hr-pw-0093' });
    expect(answer.status).toBe(403);
    expect(JSON.stringify(await answer.json())).toContain('needs the role itil');
  });

  // The notification mails every attachment of the record to the signer: the button shows
  // only on a record with one attachment, a PDF (the script include's GlideAggregate count).
  it.each([
    ['a second PDF', { fileName: 'other.pdf', contentType: 'application/pdf', bytes: Buffer.from('%PDF-1.7 other') }, 'RITM0030021'],
    ['a spreadsheet beside the PDF', { fileName: 'salaries.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', bytes: Buffer.from('PK salaries') }, 'RITM0030022'],
  ])('is not there on a record with %s', async (_what, extra, number) => {
    const record = withPdf('sc_req_item', number, { requested_for: 'u1', 'requested_for.name': 'Ann Lee', 'requested_for.email': 'ann.lee@example.com' });
    sn.attachFile('sc_req_item', record.sysId, extra);
    const before = sn.notifications.length;
    const answer = await click(actionOn('sc_req_item'), `?sysparm_table=sc_req_item&sysparm_sys_id=${record.sysId}`);
    expect(answer.status).toBe(403);
    expect(JSON.stringify(await answer.json())).toContain('signrelay.onePdf(current) is false');
    expect(sn.notifications).toHaveLength(before);
  });

  it('is not there on a record with no attachment, or one that is not a PDF', async () => {
    const bare = sn.addRecord({ table: 'sc_req_item', number: 'RITM0030023', fields: {} });
    const notPdf = sn.addRecord({ table: 'sc_req_item', number: 'RITM0030024', fields: {} });
    sn.attachFile('sc_req_item', notPdf.sysId, { fileName: 'note.txt', contentType: 'text/plain', bytes: Buffer.from('hello') });
    for (const record of [bare, notPdf]) {
      expect((await click(actionOn('sc_req_item'), `?sysparm_table=sc_req_item&sysparm_sys_id=${record.sysId}`)).status).toBe(403);
    }
  });

  it('is not there a second time while the record\'s signing is open (status field sent) or done (signed)', async () => {
    const record = withPdf('sc_req_item', 'RITM0030025', { requested_for: 'u1', 'requested_for.name': 'Ann Lee', 'requested_for.email': 'ann.lee@example.com' });
    const query = `?sysparm_table=sc_req_item&sysparm_sys_id=${record.sysId}`;
    expect((await click(actionOn('sc_req_item'), query)).status).toBe(200);
    const sent = sn.notifications.length;
    for (const status of ['sent', 'signed']) {
      record.fields.u_signature_status = status; // what signrelay writes with servicenow.status_field
      const again = await click(actionOn('sc_req_item'), query);
      expect(again.status).toBe(403);
      expect(JSON.stringify(await again.json())).toContain('signrelay.notInSigning(current) is false');
    }
    expect(sn.notifications).toHaveLength(sent);
    record.fields.u_signature_status = 'declined'; // a round that ended unsigned: the agent may send again
    expect((await click(actionOn('sc_req_item'), query)).status).toBe(200);
  });
});
