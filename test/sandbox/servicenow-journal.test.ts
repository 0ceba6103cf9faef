// The simulator's journal table, sys_journal_field, through the Table API (raw HTTP): the
// rows behind work_notes and comments, queried with encoded-query `=` and `LIKE` the way
// signrelay looks for a note it may already have added; strings only; entries of records
// the user may not read left out; the whole table behind its own read ACL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';

const USER = 'signrelay.integration';
const PASSWORD = 'sn-journal-pass-51';
const RITM = 'a0000000000000000000000000000001';
const OTHER = 'a0000000000000000000000000000002';
const INC = 'b0000000000000000000000000000001';
const RECORDS = [
  { table: 'sc_req_item', number: 'RITM0010001', sysId: RITM },
  { table: 'sc_req_item', number: 'RITM0010002', sysId: OTHER },
  { table: 'incident', number: 'INC0012345', sysId: INC },
];
const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
let sim: ServiceNowSimulator;

async function get(instance: ServiceNowSimulator, path: string) {
  const response = await fetch(`${instance.url}${path}`, { headers: { Authorization: authorization, Accept: 'application/json' } });
  return { status: response.status, total: response.headers.get('x-total-count'), body: await response.json() as { result: Array<Record<string, string>>; error?: { message: string } } };
}
const journal = (query: string, fields = 'sys_id,element,element_id,value') =>
  get(sim, `/api/now/table/sys_journal_field?sysparm_query=${encodeURIComponent(query)}&sysparm_fields=${fields}`);
async function patch(sysId: string, table: string, body: Record<string, string>) {
  const response = await fetch(`${sim.url}/api/now/table/${table}/${sysId}`, {
    method: 'PATCH', headers: { Authorization: authorization, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  sim = await startServiceNowSimulator({ users: { [USER]: PASSWORD }, records: RECORDS });
  await patch(RITM, 'sc_req_item', { work_notes: 'Signed by Ann Lee; attached by signrelay, request r_00aa11bb22cc.' });
  await patch(RITM, 'sc_req_item', { work_notes: 'Someone else\'s note' });
  await patch(RITM, 'sc_req_item', { comments: 'A comment naming signrelay, request r_00aa11bb22cc too' });
  await patch(OTHER, 'sc_req_item', { work_notes: 'attached by signrelay, request r_00aa11bb22cc.' });
});
afterAll(() => sim.close());

describe('sys_journal_field', () => {
  it('finds a record\'s work note by element_id, element and valueLIKE, with every value a string', async () => {
    const answer = await journal(`element_id=${RITM}^element=work_notes^valueLIKEsignrelay, request r_00aa11bb22cc`);
    expect(answer.status).toBe(200);
    expect(answer.total).toBe('1');
    const entry = sim.records.find((r) => r.sysId === RITM)!.journal[0]!;
    expect(answer.body.result).toEqual([{ sys_id: entry.sysId, element: 'work_notes', element_id: RITM, value: entry.value }]);
  });

  it('LIKE is "contains", without regard to case; = is exact', async () => {
    expect((await journal(`element_id=${RITM}^valueLIKESIGNRELAY, REQUEST`)).body.result.map((r) => r.element)).toEqual(['work_notes', 'comments']);
    expect((await journal(`element_id=${RITM}^element=WORK_NOTES`)).body.result).toEqual([]);
    expect((await journal(`element_id=${RITM}^element=work_notes^valueLIKEno such words`)).body.result).toEqual([]);
  });

  it('shows the fields of a journal row (name = the record\'s table, who and when)', async () => {
    const answer = await journal(`element_id=${OTHER}`, '');
    expect(answer.body.result).toEqual([expect.objectContaining({
      element: 'work_notes', element_id: OTHER, name: 'sc_req_item', sys_created_by: USER, sys_created_on: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    })]);
  });

  it('ignores a query part it cannot use, like the instance (the caller must check what comes back)', async () => {
    const answer = await journal(`element_idd=${RITM}^element=work_notes`);
    expect(answer.body.result.map((r) => r.element_id).sort()).toEqual([OTHER, RITM, RITM].sort());
  });

  it('leaves out entries of records the user may not read, and refuses the table without its read ACL', async () => {
    const guarded = await startServiceNowSimulator({ users: { [USER]: PASSWORD }, records: RECORDS, forbiddenTables: ['incident'] });
    const noJournal = await startServiceNowSimulator({ users: { [USER]: PASSWORD }, records: RECORDS, forbiddenTables: ['sys_journal_field'] });
    try {
      guarded.records.find((r) => r.sysId === INC)!.journal.push({ sysId: 'c'.repeat(32), field: 'work_notes', value: 'secret', at: 0, by: 'admin' });
      expect((await get(guarded, `/api/now/table/sys_journal_field?sysparm_query=element_id=${INC}`)).body.result).toEqual([]);
      const refused = await get(noJournal, `/api/now/table/sys_journal_field?sysparm_query=element_id=${RITM}`);
      expect(refused.status).toBe(403);
      expect(refused.body.error?.message).toBe('Operation Failed');
    } finally {
      await guarded.close();
      await noJournal.close();
    }
  });
});
