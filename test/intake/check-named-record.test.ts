// Intake's lookups of the named record wait at most INTAKE_LOOKUP_TIMEOUT_MS, not
// servicenow.timeout_seconds: a mail waits on them, and a hung instance held every request
// mail of a REST route for a minute before its number was taken as written.
import { describe, expect, it } from 'vitest';
import { checkNamedRecord } from '../../src/intake/check-named-record.ts';
import { checkWatermark, INTAKE_LOOKUP_TIMEOUT_MS, type WatermarkLookup } from '../../src/intake/check-watermark.ts';
import { SignrelayError } from '../../src/errors.ts';
import type { RequestDraft } from '../../src/intake/types.ts';

const draft = (record: RequestDraft['record']) => ({ record }) as RequestDraft;

function lookupAnswering(answer: () => Promise<{ table: string; sysId: string }>) {
  const asked: Array<{ call: string; options: unknown }> = [];
  const lookup: WatermarkLookup = {
    findWatermark: async () => null,
    findRecord: (_table, _number, options) => (asked.push({ call: 'findRecord', options }), answer()),
    getRecord: (_table, _sysId, options) => (asked.push({ call: 'getRecord', options }), answer()),
  };
  return { lookup, asked };
}

describe('the named record at intake', () => {
  it('is looked up with intake\'s own, shorter timeout, by number or by sys_id', async () => {
    const { lookup, asked } = lookupAnswering(async () => ({ table: 'sc_req_item', sysId: 'a'.repeat(32) }));
    expect(await checkNamedRecord(draft({ number: 'RITM0010001', table: 'sc_req_item' }), 'rest', lookup)).toBeNull();
    expect(await checkNamedRecord(draft({ sysId: 'b'.repeat(32), table: 'sc_req_item' }), 'rest', lookup)).toBeNull();
    expect(asked).toEqual([
      { call: 'findRecord', options: { timeoutMs: INTAKE_LOOKUP_TIMEOUT_MS } },
      { call: 'getRecord', options: { timeoutMs: INTAKE_LOOKUP_TIMEOUT_MS } },
    ]);
    expect(INTAKE_LOOKUP_TIMEOUT_MS).toBeLessThan(60_000);
  });

  it('an instance that did not answer in time: the number is taken as written, said as unchecked', async () => {
    const { lookup } = lookupAnswering(async () => { throw new SignrelayError('transient', 'servicenow_timeout', 'ServiceNow did not answer'); });
    expect(await checkNamedRecord(draft({ number: 'RITM0010001', table: 'sc_req_item' }), 'rest', lookup)).toEqual({ unchecked: 'ServiceNow did not answer' });
  });

  it('a watermark the instance did not answer for is dropped as unanswered: intake asks it nothing more for that mail', async () => {
    const { lookup } = lookupAnswering(async () => { throw new SignrelayError('transient', 'servicenow_timeout', 'ServiceNow did not answer'); });
    const check = await checkWatermark(draft({ number: 'RITM0010001', table: 'sc_req_item', watermark: 'Ref:MSG0001' }), 'email', { ...lookup, findWatermark: async () => { throw new SignrelayError('transient', 'servicenow_timeout', 'ServiceNow did not answer'); } });
    expect(check).toMatchObject({ kind: 'dropped', unanswered: true });
    const known = await checkWatermark(draft({ number: 'RITM0010001', table: 'sc_req_item', watermark: 'Ref:MSG0001' }), 'email', { ...lookup, findWatermark: async () => null });
    expect(known).toMatchObject({ kind: 'dropped' });
    expect(known).not.toHaveProperty('unanswered');
  });

  it('a watermark whose named record the instance answers it does not have is not "unanswered": the named record is asked about, and refused (re-read B 1)', async () => {
    const { lookup } = lookupAnswering(async () => { throw new SignrelayError('permanent', 'servicenow_record_not_found', 'no record RITM0099997 in sc_req_item'); });
    const check = await checkWatermark(draft({ number: 'RITM0099997', table: 'sc_req_item', watermark: 'Ref:MSG0001' }), 'email', { ...lookup, findWatermark: async () => ({ table: 'sc_req_item', sysId: 'a'.repeat(32) }) });
    expect(check).toMatchObject({ kind: 'dropped' });
    expect(check).not.toHaveProperty('unanswered');
  });

  it('a 404 for the table (not the record) is no verdict on the number: taken as written; for a sys_id read it is the record missing', async () => {
    const { lookup } = lookupAnswering(async () => { throw new SignrelayError('permanent', 'servicenow_not_found', 'ServiceNow answered 404'); });
    expect(await checkNamedRecord(draft({ number: 'RITM0010001', table: 'sc_req_item' }), 'rest', lookup)).toEqual({ unchecked: 'ServiceNow answered 404' });
    expect(await checkNamedRecord(draft({ sysId: 'b'.repeat(32), table: 'sc_req_item' }), 'rest', lookup)).toHaveProperty('problem');
  });
});
