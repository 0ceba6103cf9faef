// What the simulated instance does when an agent clicks a UI action from the imported update
// set on a record (update-set.ts): the action must exist, be active, sit on the record's
// table (or a parent of it) and its condition — the update set's own JavaScript, with its
// script includes, run for the agent's roles and the record (its fields, its sys_attachment
// rows) — must be true; else the button is not there, and the call is refused as the
// instance refuses an action it does not show. Its script queues the event; each active
// notification on that event and the record's table is rendered (render-notification.ts) and
// mailed over SMTP as the instance's notifications are: from the instance's sender,
// `Auto-Submitted: auto-generated` and `Precedence: bulk`, to its recipients, with the
// record's attachments when "Include attachments" is on. The instance does this through its
// event queue a few seconds later; the simulator does it before it answers, so a caller
// knows the mail is on its way when the call returns.
import type { IncomingMessage, ServerResponse } from 'node:http';
import nodemailer from 'nodemailer';
import { sendJson } from '../http-util.ts';
import { snError, SimInstance, type SimRecord } from './instance.ts';
import { runGlideScript } from './glide-sandbox.ts';
import { recordValuesOf, renderNotification } from './render-notification.ts';
import type { NotificationDefinition, UiActionDefinition, UpdateSetDefinitions } from './update-set.ts';

export interface NotificationMailOptions {
  smtp: { host: string; port: number };
  /** The instance's sender, e.g. `ServiceNow <acme@service-now.com>` (glide.email.user). */
  from: string;
}

/** One notification mail the instance sent. */
export interface SentNotification {
  at: number;
  notification: string;
  record: { table: string; sysId: string; number: string };
  from: string;
  to: string[];
  subject: string;
  text: string;
  attachments: string[];
  messageId: string;
  watermark: string;
}

export interface UiActionContext {
  definitions: UpdateSetDefinitions;
  instance: SimInstance;
  user: string;
  roles: readonly string[];
  mail: NotificationMailOptions;
  /** Tables the caller may not read (the server's forbiddenTables). */
  forbiddenTables: ReadonlySet<string>;
  now(): number;
  issueWatermark(record: SimRecord): string;
  registerSentMail(messageId: string, record: SimRecord): void;
}

const NOT_AVAILABLE = (detail: string) => snError(403, 'Operation Failed', detail);

/** A UI action or notification on a table applies to its records and to those of the tables extending it. */
const onTable = (record: SimRecord, table: string) => SimInstance.inTable(record, table);

/**
 * `POST /api/now/ui/ui_action/{sys_id}?sysparm_table=…&sysparm_sys_id=…`, authenticated: the
 * simulator's stand-in for the agent's click. Answers 200 with the notifications sent.
 */
export async function uiActionApi(ctx: UiActionContext, req: IncomingMessage, url: URL, res: ServerResponse, actionSysId: string): Promise<SentNotification[]> {
  if (req.method !== 'POST') throw snError(405, 'Method not Supported', `${req.method} is not supported on a UI action`);
  const table = url.searchParams.get('sysparm_table');
  const sysId = url.searchParams.get('sysparm_sys_id');
  if (!table || !sysId) throw snError(400, 'Invalid parameter', 'Missing parameter: sysparm_table and sysparm_sys_id name the record');
  if (ctx.forbiddenTables.has(table)) throw snError(403, 'Operation Failed', 'ACL Exception Read Failed due to security constraints');
  const sent = await invokeUiAction(ctx, actionSysId, table, sysId);
  sendJson(res, 200, { result: { action: actionSysId, table, sys_id: sysId, notifications: sent.map((m) => ({ name: m.notification, to: m.to.join(','), message_id: m.messageId })) } });
  return sent;
}

/** Carries out the UI action `actionSysId` on the record; returns the notification mails sent. */
export async function invokeUiAction(ctx: UiActionContext, actionSysId: string, table: string, sysId: string): Promise<SentNotification[]> {
  const action = ctx.definitions.uiActions.find((a) => a.sysId === actionSysId);
  if (!action) throw snError(404, 'No Record found', `no UI action ${actionSysId} (sys_ui_action)`);
  const record = ctx.instance.bySysId(sysId);
  if (!record || !SimInstance.inTable(record, table)) throw snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
  refuseUnlessShown(action, record, ctx);
  // The action's script, as the instance runs it for the agent: the events it queues (each
  // sends its notifications), and the work notes it writes, in the agent's name.
  const includes = [...ctx.definitions.scriptIncludes.values()].join('\n');
  const input = { values: recordValuesOf(record), roles: ctx.roles, user: { id: ctx.user, name: ctx.user, displayName: ctx.user } };
  const [events, journal] = runGlideScript(`${includes}\n${action.script}`, input, '[__events, __journal]') as [Array<[string, string, string]>, Array<['work_notes' | 'comments', string]>];
  for (const [field, value] of journal) ctx.instance.addJournal(record, field, value, ctx.user);
  const mails: SentNotification[] = [];
  for (const [event] of events) {
    for (const notification of ctx.definitions.notifications) {
      if (notification.active && notification.event === event && onTable(record, notification.table)) mails.push(await send(notification, record, ctx));
    }
  }
  return mails;
}

function refuseUnlessShown(action: UiActionDefinition, record: SimRecord, ctx: UiActionContext): void {
  if (!action.active) throw NOT_AVAILABLE(`the UI action "${action.name}" is not active`);
  if (!onTable(record, action.table)) throw NOT_AVAILABLE(`the UI action "${action.name}" is on ${action.table}, not on ${record.sysClassName}`);
  // Each `&&` part on its own, in order, so the refusal names the part that is false.
  const includes = [...ctx.definitions.scriptIncludes.values()].join('\n');
  const input = {
    values: recordValuesOf(record), roles: ctx.roles,
    tables: { sys_attachment: record.attachments.map((a) => ({ table_name: record.sysClassName, table_sys_id: record.sysId, content_type: a.contentType, file_name: a.fileName })) },
  };
  for (const part of action.condition.split('&&').map((p) => p.trim()).filter(Boolean)) {
    const [holds, missing] = runGlideScript(`${includes}\nvar __holds = Boolean(${part});`, input, '[__holds, __missingRoles]') as [boolean, string[]];
    if (holds) continue;
    if (missing.length > 0) throw NOT_AVAILABLE(`the UI action "${action.name}" is not available to ${ctx.user}: its condition needs the role ${missing.join(', ')}`);
    throw NOT_AVAILABLE(`the UI action "${action.name}" is not available on ${record.number}: its condition ${part} is false`);
  }
}

async function send(notification: NotificationDefinition, record: SimRecord, ctx: UiActionContext): Promise<SentNotification> {
  let watermark = '';
  const { subject, text } = renderNotification(notification, {
    values: recordValuesOf(record), mailScripts: ctx.definitions.mailScripts,
    watermark: () => (watermark ||= ctx.issueWatermark(record)),
  });
  const attachments = notification.includeAttachments ? record.attachments : [];
  const domain = /@([^>\s]+)/.exec(ctx.mail.from)?.[1] ?? 'service-now.com';
  const messageId = `<${record.sysId}.${ctx.now()}.${Math.random().toString(36).slice(2, 10)}@${domain}>`;
  const transport = nodemailer.createTransport({ host: ctx.mail.smtp.host, port: ctx.mail.smtp.port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({
      from: notification.from || ctx.mail.from, to: notification.recipients, subject, text, messageId,
      headers: { 'Auto-Submitted': 'auto-generated', Precedence: 'bulk' },
      attachments: attachments.map((a) => ({ filename: a.fileName, content: a.bytes, contentType: a.contentType })),
    });
  } finally {
    transport.close();
  }
  ctx.registerSentMail(messageId, record);
  return {
    at: ctx.now(), notification: notification.name, record: { table: record.sysClassName, sysId: record.sysId, number: record.number },
    from: notification.from || ctx.mail.from, to: notification.recipients, subject, text, attachments: attachments.map((a) => a.fileName), messageId, watermark,
  };
}
