// The start of `signrelay demo --from-servicenow`: the request begins on the record, as it
// does for an agent on an instance that imported deploy/servicenow's update set. The agent
// attaches the PDF to the record (Attachment API) and clicks "Send for signature" (the
// simulator's UI action call); the instance's notification mails it to the request mailbox.
// Each step is printed from what the simulator and the mail world recorded: the calls and
// their answers, the notification as sent, its delivery into the IMAP INBOX. The rest of the
// loop is the demo's own (demo-observer.ts), and ends on this same record.
import type { MailWorld } from './mail-world.ts';
import { DemoIncomplete, type ObservedMail } from './demo-observer.ts';
import type { ServiceNowSimulator } from './servicenow/server.ts';

export interface StartOnRecord {
  servicenow: ServiceNowSimulator;
  world: MailWorld;
  agent: { user: string; password: string };
  record: { table: string; number: string };
  pdf: { fileName: string; bytes: Buffer };
  step(at: number, headline: string, details?: string[]): void;
  /** Prints a line of the demo's narration. */
  out(line?: string): void;
}

/** The demo's opening line for this loop. */
export const FROM_SERVICENOW_TITLE = 'signrelay demo: a request started on a ServiceNow record through the whole loop, back to the signed PDF on that record,';

const BODY_LINES = /^(Record|Signer( \d+)?|Due):|^Ref:MSG/;

/** Attaches the PDF and clicks the UI action as the agent; returns the notification mail, delivered to the INBOX. */
export async function startOnRecord(start: StartOnRecord): Promise<ObservedMail> {
  const { servicenow, world, agent, step, out } = start;
  out(`1. On the record: an agent attaches a contract to ${start.record.number} and clicks "Send for signature"`);
  out('   (the UI action of deploy/servicenow/signrelay-update-set.xml, imported into the ServiceNow simulator)');
  const record = servicenow.records.find((r) => r.number === start.record.number && r.table === start.record.table);
  const action = servicenow.updateSet?.uiActions.find((a) => a.table === start.record.table);
  if (!record || !action) throw new DemoIncomplete(`the ServiceNow simulator has no record ${start.record.number} or no "Send for signature" on ${start.record.table}`, false);
  const auth = { Authorization: `Basic ${Buffer.from(`${agent.user}:${agent.password}`).toString('base64')}`, Accept: 'application/json' };

  const attachPath = '/api/now/attachment/file';
  const attached = await fetch(`${servicenow.url}${attachPath}?${new URLSearchParams({ table_name: record.table, table_sys_id: record.sysId, file_name: start.pdf.fileName })}`, {
    method: 'POST', headers: { ...auth, 'Content-Type': 'application/pdf' }, body: start.pdf.bytes,
  });
  if (attached.status !== 201) throw new DemoIncomplete(`attaching ${start.pdf.fileName} to ${record.number} answered HTTP ${attached.status}: ${await attached.text()}`, false);
  const attachment = record.attachments.at(-1)!;
  step(attachment.createdAt, `${agent.user} attached ${attachment.fileName} to ${record.number} (${record.table})`, [
    `ServiceNow simulator: POST ${attachPath} → 201; sys_attachment ${attachment.sysId}, ${attachment.sizeBytes} bytes`,
  ]);

  const before = world.deliveries.length;
  const clickPath = `/api/now/ui/ui_action/${action.sysId}`;
  const clicked = await fetch(`${servicenow.url}${clickPath}?sysparm_table=${record.table}&sysparm_sys_id=${record.sysId}`, { method: 'POST', headers: auth });
  if (clicked.status !== 200) throw new DemoIncomplete(`clicking "${action.name}" on ${record.number} answered HTTP ${clicked.status}: ${await clicked.text()}`, false);
  const mail = servicenow.notifications.filter((n) => n.record.sysId === record.sysId).at(-1);
  if (!mail) throw new DemoIncomplete(`"${action.name}" on ${record.number} sent no notification`, false);
  // Told at the click (the call's arrival): the notification's delivery, printed next, happened during it.
  const call = servicenow.calls.filter((c) => c.path === clickPath && c.status === 200).at(-1);
  step(call?.at ?? mail.at, `${agent.user} clicked "${action.name}" on ${record.number}: the UI action queued ${action.event}`, [
    `ServiceNow simulator: POST ${clickPath} → 200 as ${call?.user ?? agent.user} (condition: ${action.condition})`,
    `notification "${mail.notification}" sent from ${mail.from} to ${mail.to.join(', ')}: "${mail.subject}"`,
    `Auto-Submitted: auto-generated; attached: ${mail.attachments.join(', ') || 'nothing'}`,
    ...mail.text.split('\n').filter((l) => BODY_LINES.test(l)).map((l) => `| ${l}`),
  ]);

  // The SMTP server answers 250 only after the mail is filed, so the delivery is recorded now.
  const delivery = world.deliveries[before];
  if (!delivery) throw new DemoIncomplete(`the notification "${mail.subject}" was accepted over SMTP but not delivered to the INBOX`, false);
  step(delivery.at.getTime(), `notification mail delivered to ${delivery.to} (IMAP ${delivery.folder}, UID ${delivery.uid})`);
  return { messageId: mail.messageId, expect: 'sent' };
}
