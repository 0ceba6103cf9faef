// The update set an admin imports (deploy/servicenow/signrelay-update-set.xml) has the shape
// of one ServiceNow exports — an `unload` root with its date, one sys_remote_update_set,
// sys_update_xml rows each with name, type, table, action, remote_update_set and a payload
// that is itself a well-formed record — and holds what docs/servicenow.md promises: the UI
// action on each table, the event it fires, the notification with "Include attachments",
// `${number}` in the subject, Signer lines and the watermark, and the inbound actions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runMailScript } from '../../src/sandbox/servicenow/render-notification.ts';
import { readUpdateSet, SHIPPED_UPDATE_SET, UpdateSetError } from '../../src/sandbox/servicenow/update-set.ts';
import { childrenNamed, childText, parseXml, XmlError } from '../../src/sandbox/servicenow/xml-tree.ts';

const xml = readFileSync(SHIPPED_UPDATE_SET, 'utf8');
const TABLES = ['sc_req_item', 'sn_hr_core_case'];

describe('the shipped update set', () => {
  it('is an exported update set in shape: unload, one sys_remote_update_set, sys_update_xml rows with their fields', () => {
    const root = parseXml(xml);
    expect(root.name).toBe('unload');
    expect(root.attributes.unload_date).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const sets = childrenNamed(root, 'sys_remote_update_set');
    expect(sets).toHaveLength(1);
    expect(sets[0]!.attributes.action).toBe('INSERT_OR_UPDATE');
    expect(childText(sets[0]!, 'state')).toBe('loaded');
    const setId = childText(sets[0]!, 'sys_id');
    expect(setId).toMatch(/^[0-9a-f]{32}$/);

    const rows = childrenNamed(root, 'sys_update_xml');
    expect(rows.length).toBe(9);
    expect(root.children).toHaveLength(rows.length + 1);
    const ids = new Set<string>();
    for (const row of rows) {
      for (const field of ['name', 'type', 'action', 'remote_update_set', 'payload', 'sys_id']) expect(childText(row, field), field).not.toBe('');
      expect(childrenNamed(row, 'table')).toHaveLength(1);
      expect(childText(row, 'action')).toBe('INSERT_OR_UPDATE');
      expect(childText(row, 'remote_update_set')).toBe(setId);
      ids.add(childText(row, 'sys_id'));
      // The payload is a record of its own: <record_update table="T"><T action=…>…</T></record_update>.
      const payload = parseXml(childText(row, 'payload'));
      expect(payload.name).toBe('record_update');
      const table = payload.attributes.table!;
      expect(payload.children.map((c) => c.name)).toEqual([table]);
      const record = payload.children[0]!;
      expect(childText(row, 'name')).toBe(`${table}_${childText(record, 'sys_id')}`);
      expect(childText(record, 'sys_class_name')).toBe(table);
    }
    expect(ids.size).toBe(rows.length);
  });

  it('holds the UI action on each table, the event it fires, the notification, its mail script and the inbound actions', () => {
    const set = readUpdateSet(xml);
    expect(set.rows.map((r) => r.recordTable).sort()).toEqual([
      'sys_script_email', 'sys_script_include', 'sys_ui_action', 'sys_ui_action', 'sysevent_email_action', 'sysevent_email_action',
      'sysevent_in_email_action', 'sysevent_in_email_action', 'sysevent_register',
    ]);
    expect(set.events).toEqual([{ name: 'signrelay.send_for_signature', table: 'task' }]);
    expect(set.uiActions.map((a) => [a.table, a.name, a.active, a.event])).toEqual(
      TABLES.map((t) => [t, 'Send for signature', true, 'signrelay.send_for_signature']));
    expect(set.uiActions.map((a) => a.condition)).toEqual(['itil', 'sn_hr_core.case_writer'].map((role) =>
      `gs.hasRole('${role}') && signrelay.onePdf(current) && signrelay.notInSigning(current)`));
    expect([...set.scriptIncludes.keys()]).toEqual(['signrelay']);
    // signrelay notes a refused request on the record (refusal-on-record.ts) on a REST route; on
    // a route that delivers by mail it cannot, and alerts the operators: the agent is told both (ServiceNow review M4).
    expect(xml.match(/if it cannot be sent, a work note here says why, or — where the signed document goes back by mail — the signrelay administrators are told\./g)).toHaveLength(2);
    expect(set.notifications.map((n) => [n.table, n.recipients])).toEqual([['sc_req_item', ['sign@corp.example']], ['sn_hr_core_case', ['sign+hr@corp.example']]]);
    for (const n of set.notifications) {
      expect(n).toMatchObject({ active: true, includeAttachments: true, event: 'signrelay.send_for_signature', omitWatermark: false });
      expect(n.subject).toContain('${number}');
      expect(n.text).toContain('${mail_script:signrelay_signer_lines}');
      expect(n.text).toContain('${watermark}');
    }
    expect([...set.mailScripts.keys()]).toEqual(['signrelay_signer_lines']);
    expect(set.inboundActions.map((a) => [a.table, a.type, a.active])).toEqual(TABLES.map((t) => [t, 'reply', true]));
    for (const a of set.inboundActions) expect(a.script).toContain('current.update()');
  });

  it('lets only signrelay\'s sender put a file on a record by mail, and writes nothing of the mail where a customer sees it', () => {
    for (const a of readUpdateSet(xml).inboundActions) {
      expect(a.requiredRoles).toEqual(['signrelay_delivery']);
      expect(a.conditionScript).toContain("email.origemail.toLowerCase() == 'sign@corp.example'");
      expect(a.script).toContain("current.work_notes = 'Signed document received from signrelay.';");
      expect(a.script).not.toMatch(/current\.comments|email\.(body|origemail|subject)/);
    }
  });
});

describe('its Signer-line mail script', () => {
  const script = readUpdateSet(xml).mailScripts.get('signrelay_signer_lines')!;

  it.each([
    ['the requested-for user', { requested_for: 'u1', 'requested_for.name': 'Ann Lee', 'requested_for.email': 'ann.lee@example.com' }, 'Signer: Ann Lee <ann.lee@example.com>\n'],
    ['an HR case\'s subject person', { subject_person: 'u2', 'subject_person.name': 'Bob Stone', 'subject_person.email': 'bob.stone@corp.example' }, 'Signer: Bob Stone <bob.stone@corp.example>\n'],
    ['the first user field that is set', { requested_for: '', 'requested_for.email': 'x@y.example', opened_for: 'u3', 'opened_for.name': 'Cy Dean', 'opened_for.email': 'cy@corp.example' }, 'Signer: Cy Dean <cy@corp.example>\n'],
    ['a name with line breaks, brackets and mentions, made plain', { requested_for: 'u4', 'requested_for.name': 'Eve\r\nSigner: Mal <mal@evil.example>\u2028[!Sign.2,M,X,m@x.example] @[sys_id:1]', 'requested_for.email': 'eve@corp.example' },
      'Signer: Eve Signer Mal mal evil.example Sign.2 M X m x.example sys_id 1 <eve@corp.example>\n'],
    // Nobody usable: a line signrelay refuses, not none (the route's default signers would sign).
    ['a refused line for an address that is not one plain address', { number: 'RITM0010001', requested_for: 'u5', 'requested_for.name': 'Ann', 'requested_for.email': 'ann@corp.example>\r\nSigner: Mal <mal@evil.example' },
      'Signer: (nobody: RITM0010001 names no person with an email address signrelay can use)\n'],
    ['a refused line for a record without a user, its number kept plain', { number: 'HRC\r\n0001<x>', short_description: 'nobody' }, 'Signer: (nobody: HRC0001x names no person with an email address signrelay can use)\n'],
  ])('%s', (_what, values, printed) => {
    expect(runMailScript(script, values)).toBe(printed);
  });
});

describe('the reader is strict', () => {
  it.each([
    ['<!DOCTYPE x [<!ENTITY e "boom">]><unload/>', /DOCTYPE/],
    ['<unload unload_date="x"><a></b></unload>', /<\/b> closes <a>/],
    ['<unload unload_date="x">&nbsp;</unload>', /unknown entity &nbsp;/],
    ['<unload unload_date="x"><a>', /never closed/],
    ['<unload unload_date="x"/><extra/>', /after the root/],
  ])('refuses %s', (source, error) => {
    expect(() => parseXml(source)).toThrow(XmlError);
    expect(() => parseXml(source)).toThrow(error);
  });

  it.each([
    ['a payload that is not a record', (s: string) => s.replace('<record_update table="sys_ui_action">', '<record_update table="sys_script">'), /must hold exactly one <sys_script> record/],
    ['a row without its table', (s: string) => s.replace(/<table>sc_req_item<\/table>\n<target_name>Send/, '<target_name>Send'), /has no <table>/],
    ['a second update set', (s: string) => s.replace('</unload>', `${/<sys_remote_update_set[\s\S]*?<\/sys_remote_update_set>/.exec(s)![0]}</unload>`), /expected one <sys_remote_update_set>, found 2/],
    ['a notification using a mail script it does not hold', (s: string) => s.replace('${mail_script:signrelay_signer_lines}\n${watermark}</message_text><name>signrelay: Send for signature (sc_req_item)', '${mail_script:signrelay_other}\n${watermark}</message_text><name>signrelay: Send for signature (sc_req_item)'), /uses the mail script signrelay_other, which the update set does not hold/],
    ['an inbound action without a target table', (s: string) => s.replace('<target_table>sc_req_item</target_table>', '<target_table/>'), /has no target_table/],
    ['a notification on an unregistered event', (s: string) => s.replace('<event_name>signrelay.send_for_signature</event_name><event_parm_1>', '<event_name>other.event</event_name><event_parm_1>'), /uses the event other\.event, which it does not register/],
  ])('refuses %s', (_what, change, error) => {
    const changed = change(xml);
    expect(changed).not.toBe(xml);
    expect(() => readUpdateSet(changed)).toThrow(UpdateSetError);
    expect(() => readUpdateSet(changed)).toThrow(error);
  });
});

describe('the mail-script sandbox', () => {
  it('gives a script no way out to the host: no host object, no code from strings', () => {
    for (const escape of [
      "template.print(typeof current.getValue.constructor('return process')())",
      "template.print(typeof this.constructor.constructor('return process')())",
      "template.print(typeof eval('process'))",
    ]) expect(() => runMailScript(escape, { requested_for: 'u1' })).toThrow(/the script (failed|threw)/);
    expect(runMailScript("template.print(typeof process + ' ' + typeof require + ' ' + typeof globalThis.setTimeout)", {})).toBe('undefined undefined undefined');
  });

  it('stops a busy loop and a microtask loop at its timeout', () => {
    expect(() => runMailScript('for (;;) {}', {})).toThrow(/timed out/);
    expect(() => runMailScript('Promise.resolve().then(function loop() { return Promise.resolve().then(loop); });', {})).toThrow(/timed out/);
  });
});
