// Reads the update set signrelay ships (deploy/servicenow/signrelay-update-set.xml) the way
// an instance's importer sees it — an `unload` with one sys_remote_update_set and
// sys_update_xml rows, each carrying a record as XML in its payload — and returns the
// definitions the simulated instance acts on: UI actions, registered events, notifications,
// mail scripts, script includes and inbound email actions. Strict: a row without its fields,
// a payload that is not one record of its table, a UI action script the simulator cannot
// carry out faithfully, a notification on an unregistered event or using a mail script the
// set does not hold is an error naming the row, so a broken update set fails here and not
// silently on an instance. Conditions and scripts are run, not parsed (glide-sandbox.ts).
import { childrenNamed, childText, parseXml, type XmlElement } from './xml-tree.ts';

export interface UiActionDefinition {
  sysId: string;
  name: string;
  actionName: string;
  table: string;
  active: boolean;
  /** Server-side JavaScript, run for the agent and the record (ui-action.ts): the button shows when it is true. */
  condition: string;
  /** The event its script queues (gs.eventQueue). */
  event: string;
  /** Server-side JavaScript, run when the agent clicks (ui-action.ts): it queues the event and may write a work note. */
  script: string;
}

export interface NotificationDefinition {
  sysId: string;
  name: string;
  /** The table it is on (`collection`); a record of a child table counts too. */
  table: string;
  event: string;
  active: boolean;
  includeAttachments: boolean;
  subject: string;
  /** message_text: the plain-text body, with ${field}, ${mail_script:NAME} and ${watermark}. */
  text: string;
  /** recipient_users: user sys_ids or email addresses, comma-separated on the instance. */
  recipients: string[];
  /** Empty: the instance's own sender. */
  from: string;
  omitWatermark: boolean;
}

export interface InboundActionDefinition {
  sysId: string;
  name: string;
  /** target_table: the action runs only for a mail filed on a record of this table (or one extending it). */
  table: string;
  /** reply, new or forward: the classification it acts on. */
  type: string;
  active: boolean;
  order: number;
  /** from: a user name the sender must be; empty, anyone. */
  from: string;
  /** required_roles: the sender (the user whose email is the From address) must hold one. */
  requiredRoles: string[];
  conditionScript: string;
  script: string;
  stopProcessing: boolean;
}

export interface UpdateSetDefinitions {
  name: string;
  sysId: string;
  /** Every row, as sys_update_xml names it (name, type, table, the payload's record table). */
  rows: Array<{ name: string; type: string; table: string; recordTable: string }>;
  uiActions: UiActionDefinition[];
  events: Array<{ name: string; table: string }>;
  notifications: NotificationDefinition[];
  /** sys_script_email: name → script. */
  mailScripts: Map<string, string>;
  /** sys_script_include: name → script, available to every condition and script. */
  scriptIncludes: Map<string, string>;
  inboundActions: InboundActionDefinition[];
}

export class UpdateSetError extends Error {
  constructor(message: string) {
    super(`update set: ${message}`);
    this.name = 'UpdateSetError';
  }
}

const ROW_FIELDS = ['name', 'type', 'table', 'action', 'remote_update_set', 'payload'] as const;
const MAIL_SCRIPT_USE = /\$\{\s*mail_script:([^}\s]+)\s*\}/g;
const EVENT_QUEUE = /gs\.eventQueue\('([\w.]+)',\s*current\b/g;

const bool = (record: XmlElement, field: string) => childText(record, field) === 'true';

/** The record a payload holds: `<record_update table="T"><T action="…">fields</T></record_update>`. */
function payloadRecord(rowName: string, payload: string): { table: string; record: XmlElement } {
  let root: XmlElement;
  try {
    root = parseXml(payload);
  } catch (err) {
    throw new UpdateSetError(`the payload of ${rowName} is not well-formed XML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const table = root.attributes.table;
  if (root.name !== 'record_update' || !table) throw new UpdateSetError(`the payload of ${rowName} is not a <record_update table="…">`);
  const [record, ...more] = root.children;
  if (!record || more.length > 0 || record.name !== table) throw new UpdateSetError(`the payload of ${rowName} must hold exactly one <${table}> record`);
  if (record.attributes.action !== 'INSERT_OR_UPDATE') throw new UpdateSetError(`the record in ${rowName} has action "${record.attributes.action ?? ''}", not INSERT_OR_UPDATE`);
  if (!childText(record, 'sys_id')) throw new UpdateSetError(`the record in ${rowName} has no sys_id`);
  return { table, record };
}

function uiAction(rowName: string, record: XmlElement): UiActionDefinition {
  const condition = childText(record, 'condition');
  const script = childText(record, 'script');
  const events = [...script.matchAll(EVENT_QUEUE)].map((m) => m[1]!);
  if (events.length !== 1) throw new UpdateSetError(`the script of ${rowName} must queue exactly one event with gs.eventQueue('…', current, …); it queues ${events.length}`);
  if (bool(record, 'client')) throw new UpdateSetError(`${rowName} is a client-side UI action: the simulator runs server-side ones only`);
  return {
    sysId: childText(record, 'sys_id'), name: childText(record, 'name'), actionName: childText(record, 'action_name'), table: childText(record, 'table'),
    active: bool(record, 'active'), condition, event: events[0]!, script,
  };
}

function notification(rowName: string, record: XmlElement): NotificationDefinition {
  if (childText(record, 'generation_type') !== 'event') throw new UpdateSetError(`${rowName} is not sent on an event (generation_type ${childText(record, 'generation_type') || 'empty'})`);
  if (childText(record, 'content_type') !== 'text/plain') throw new UpdateSetError(`${rowName} has content_type "${childText(record, 'content_type')}": the simulator renders text/plain notifications only`);
  return {
    sysId: childText(record, 'sys_id'), name: childText(record, 'name'), table: childText(record, 'collection'), event: childText(record, 'event_name'),
    active: bool(record, 'active'), includeAttachments: bool(record, 'include_attachments'), subject: childText(record, 'subject'),
    text: childText(record, 'message_text'), recipients: childText(record, 'recipient_users').split(',').map((r) => r.trim()).filter(Boolean),
    from: childText(record, 'from'), omitWatermark: bool(record, 'omit_watermark'),
  };
}

function inboundAction(rowName: string, record: XmlElement): InboundActionDefinition {
  const table = childText(record, 'target_table');
  if (!table) throw new UpdateSetError(`${rowName} has no target_table`);
  return {
    sysId: childText(record, 'sys_id'), name: childText(record, 'name'), table, type: childText(record, 'type'),
    active: bool(record, 'active'), order: Number(childText(record, 'order') || '100'), from: childText(record, 'from'),
    requiredRoles: childText(record, 'required_roles').split(',').map((r) => r.trim()).filter(Boolean),
    conditionScript: childText(record, 'condition_script'), script: childText(record, 'script'), stopProcessing: bool(record, 'stop_processing'),
  };
}

/** Reads an update set's XML (the whole `unload` file). */
export function readUpdateSet(xml: string): UpdateSetDefinitions {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    throw new UpdateSetError(`not well-formed XML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (root.name !== 'unload' || !root.attributes.unload_date) throw new UpdateSetError('the root element must be <unload unload_date="…">');
  const sets = childrenNamed(root, 'sys_remote_update_set');
  if (sets.length !== 1) throw new UpdateSetError(`expected one <sys_remote_update_set>, found ${sets.length}`);
  const set = sets[0]!;
  const definitions: UpdateSetDefinitions = {
    name: childText(set, 'name'), sysId: childText(set, 'sys_id'), rows: [],
    uiActions: [], events: [], notifications: [], mailScripts: new Map(), scriptIncludes: new Map(), inboundActions: [],
  };
  if (!definitions.name || !definitions.sysId) throw new UpdateSetError('the sys_remote_update_set has no name or sys_id');
  const unknown = root.children.filter((c) => c.name !== 'sys_remote_update_set' && c.name !== 'sys_update_xml');
  if (unknown.length > 0) throw new UpdateSetError(`unexpected <${unknown[0]!.name}> in the unload`);

  for (const [i, row] of childrenNamed(root, 'sys_update_xml').entries()) {
    const rowName = `sys_update_xml ${i + 1} (${childText(row, 'name') || 'no name'})`;
    for (const field of ROW_FIELDS) {
      if (childrenNamed(row, field).length !== 1) throw new UpdateSetError(`${rowName} has no <${field}>`);
      if (field !== 'table' && !childText(row, field)) throw new UpdateSetError(`${rowName} has an empty <${field}>`);
    }
    if (childText(row, 'remote_update_set') !== definitions.sysId) throw new UpdateSetError(`${rowName} belongs to another update set`);
    const { table, record } = payloadRecord(rowName, childText(row, 'payload'));
    if (childText(row, 'name') !== `${table}_${childText(record, 'sys_id')}`) throw new UpdateSetError(`${rowName} is not named ${table}_<its record's sys_id>`);
    definitions.rows.push({ name: childText(row, 'name'), type: childText(row, 'type'), table: childText(row, 'table'), recordTable: table });
    switch (table) {
      case 'sys_ui_action': definitions.uiActions.push(uiAction(rowName, record)); break;
      case 'sysevent_register': definitions.events.push({ name: childText(record, 'event_name'), table: childText(record, 'table') }); break;
      case 'sysevent_email_action': definitions.notifications.push(notification(rowName, record)); break;
      case 'sys_script_email': definitions.mailScripts.set(childText(record, 'name'), childText(record, 'script')); break;
      case 'sys_script_include': definitions.scriptIncludes.set(childText(record, 'name'), childText(record, 'script')); break;
      case 'sysevent_in_email_action': definitions.inboundActions.push(inboundAction(rowName, record)); break;
      default: throw new UpdateSetError(`${rowName} holds a ${table} record, which the simulator does not know`);
    }
  }
  if (definitions.rows.length === 0) throw new UpdateSetError('it holds no sys_update_xml rows');
  const registered = new Set(definitions.events.map((e) => e.name));
  for (const used of [...definitions.uiActions, ...definitions.notifications]) {
    if (!registered.has(used.event)) throw new UpdateSetError(`"${used.name}" uses the event ${used.event}, which it does not register`);
  }
  for (const n of definitions.notifications) {
    for (const [, name] of `${n.subject}\n${n.text}`.matchAll(MAIL_SCRIPT_USE)) {
      if (!definitions.mailScripts.has(name!)) throw new UpdateSetError(`"${n.name}" uses the mail script ${name}, which the update set does not hold`);
    }
  }
  return definitions;
}

/** The update set signrelay ships, beside the code (src/ and dist/ alike sit next to deploy/). */
export const SHIPPED_UPDATE_SET = new URL('../../../deploy/servicenow/signrelay-update-set.xml', import.meta.url);
