// Which ServiceNow record a mail names: Record: lines, subject numbers, watermarks.
import { describe, expect, it } from 'vitest';
import { findRecord, type RecordSources } from '../../src/intake/find-record.ts';
import type { RecordRef } from '../../src/intake/types.ts';

const RECORDS = { RITM: 'sc_req_item', HRC: 'sn_hr_core_case', INC: 'incident' };
const SYS_ID = '9d385017c611228701d22104cc95c371';
const required = { require_record: true };

type Row = [label: string, sources: Partial<RecordSources>, route: { table?: string; require_record: boolean }, value: RecordRef | null, problem?: RegExp];

const rows: Row[] = [
  ['a number in the subject', { subject: 'Contract for RITM0010001' }, required, { number: 'RITM0010001', table: 'sc_req_item' }],
  ['a lower-case number', { subject: 're: ritm0010001 contract' }, required, { number: 'RITM0010001', table: 'sc_req_item' }],
  ['a number in brackets and before a colon', { subject: '[HRC0001234]: offer' }, required, { number: 'HRC0001234', table: 'sn_hr_core_case' }],
  ['the same number twice', { subject: 'RITM0010001 / RITM0010001' }, required, { number: 'RITM0010001', table: 'sc_req_item' }],
  ['two numbers', { subject: 'RITM0010001 and INC0012345' }, required, null, /^the subject names 2 records \(RITM0010001, INC0012345\): put only/],
  ['a number inside a word does not count', { subject: 'refRITM0010001 and RITM0010001b' }, required, null, /^name the ServiceNow record: put its number, e\.g\. RITM0010001, in the subject/],
  ['a number in a file name, bounded by an underscore', { subject: 'Contract_RITM0010001.pdf' }, required, { number: 'RITM0010001', table: 'sc_req_item' }],
  ['an unknown prefix joined by an underscore is no number, even with a route table', { subject: 'HR_FORM0000123_v2 and Invoice_INV20260115.pdf' }, { table: 'x_case', require_record: true }, null, /^name the ServiceNow record: put its number/],
  ['a Record: line ending in a full stop', { body: 'Record: INC0012345.' }, required, { number: 'INC0012345', table: 'incident' }],
  ['a Record: line in the signature does not count when the subject names one', { subject: 'RITM0010001', body: 'Please sign.\n-- \nAnn Lee, HR\nRecord: keep this mail for your records' }, required, { number: 'RITM0010001', table: 'sc_req_item' }],
  ['a Record: number line', { body: 'Record: INC0012345' }, required, { number: 'INC0012345', table: 'incident' }],
  ['a Record: table/sys_id line', { body: `record: sc_req_item/${SYS_ID.toUpperCase()}` }, required, { table: 'sc_req_item', sysId: SYS_ID }],
  ['a Record: table/number line on the route\'s table', { body: 'Record: x_acme_case/CASE0001234' }, { table: 'x_acme_case', require_record: true }, { table: 'x_acme_case', number: 'CASE0001234' }],
  ['a Record: line on a table signrelay does not deliver to', { body: `Record: sys_user/${SYS_ID}` }, required, null,
    /^"Record: sys_user\/9d38[0-9a-f]+": signrelay files documents only on sc_req_item, sn_hr_core_case, incident, not on sys_user; name a record of one of those$/],
  ['a Record: table/number line whose number belongs to another table', { body: 'Record: sc_req_item/INC0012345' }, required, null,
    /^"Record: sc_req_item\/INC0012345": INC0012345 is a number of incident \(records\.INC\), not of sc_req_item; name the record by its number alone: Record: INC0012345$/],
  ['a Record: table/number line on an unconfigured table', { body: 'Record: x_acme_case/CASE0001234' }, required, null, /only on sc_req_item, sn_hr_core_case, incident, not on x_acme_case/],
  ['a Record: line wins over the subject', { subject: 'RITM0010002', body: 'Record: RITM0010001' }, required, { number: 'RITM0010001', table: 'sc_req_item' }],
  ['a forwarded Record: line does not: the subject decides', { subject: 'Fwd: NDA for RITM0010001', body: `Please sign.\n\n---------- Forwarded message ---------\nFrom: Bob <bob@vendor.example>\n\nRecord: sc_req_item/${SYS_ID}` }, required, { number: 'RITM0010001', table: 'sc_req_item' }],
  ['a quoted Record: line does not either', { subject: 'Re: RITM0010001', body: `ok\n> Record: RITM0010002` }, required, { number: 'RITM0010001', table: 'sc_req_item' }],
  ['a forwarded Record: line names the record when the subject names none', { subject: 'Fwd: NDA', body: `---------- Forwarded message ---------\nRecord: RITM0010002` }, required, { number: 'RITM0010002', table: 'sc_req_item' }],
  ['two different Record: lines', { body: 'Record: RITM0010001\nRecord: RITM0010002' }, required, null, /2 different Record: lines \(RITM0010001, RITM0010002\): keep only one/],
  ['an unknown prefix on a route with a table', { body: 'Record: CASE0001234' }, { table: 'x_case', require_record: true }, { number: 'CASE0001234', table: 'x_case' }],
  ['an unknown prefix without a route table', { body: 'Record: CASE0001234' }, required, null, /CASE is not a known record prefix \(known: RITM, HRC, INC\)/],
  ['a Record: line that is neither', { body: 'Record: the usual one' }, required, null, /"Record: the usual one" is not a record number or table\/sys_id: write Record: RITM0010001 or Record: <table>\/<32-character sys_id>/],
  ['a short sys_id', { body: 'Record: sc_req_item/9d385017' }, required, null, /is not a record number or table\/sys_id/],
  ['an unknown subject prefix taken with the route table', { subject: 'Sign CASE0001234 please' }, { table: 'x_case', require_record: true }, { number: 'CASE0001234', table: 'x_case' }],
  ['an unknown subject prefix named in the hint', { subject: 'Sign CASE0001234 please' }, required, null, /^name the ServiceNow record \(CASE0001234 in the subject does not start with a known prefix: RITM, HRC, INC\)/],
  ['a watermark', { body: 'Thanks\nRef:MSG0000008_aLJc130zDhCVuh3spXmt' }, required, { watermark: 'Ref:MSG0000008_aLJc130zDhCVuh3spXmt' }],
  ['an old-style watermark', { body: 'Ref:MSG71528958' }, required, { watermark: 'Ref:MSG71528958' }],
  ['a watermark with the prefix the instance set for itself', { body: 'Thanks\nRef:ACME0000042_aBcDeFgHiJkLmNoPqRsT' }, required, { watermark: 'Ref:ACME0000042_aBcDeFgHiJkLmNoPqRsT' }],
  ['the last watermark counts', { body: 'Ref:MSG0000001_first\n> Ref:MSG0000002_second\nRef:MSG71528958\n' }, required, { watermark: 'Ref:MSG71528958' }],
  ['a number and a watermark', { subject: 'RITM0010003', body: '<div>Ref:MSG0000008_aLJc130zDhCVuh3spXmt</div>' }, required, { number: 'RITM0010003', table: 'sc_req_item', watermark: 'Ref:MSG0000008_aLJc130zDhCVuh3spXmt' }],
  ['a watermark only in the HTML part', { html: '<span style="display:none">Ref:MSG0000008_aLJc130zDhCVuh3spXmt</span>' }, required, { watermark: 'Ref:MSG0000008_aLJc130zDhCVuh3spXmt' }],
  ['nothing, record required', { subject: 'Please sign' }, required, null, /^name the ServiceNow record: put its number, e\.g\. RITM0010001, in the subject/],
  ['nothing, record optional', { subject: 'Please sign' }, { require_record: false }, null],
];

describe('findRecord with no record prefixes configured (records left empty)', () => {
  it('tells the requester it is signrelay\'s setting, not their mail — the number they gave is named', () => {
    const result = findRecord({ subject: 'Offer letter for RITM0010001', body: '', html: false }, {}, required);
    expect(result.value).toBeNull();
    expect(result.problems).toEqual(['signrelay cannot tell which ServiceNow record RITM0010001 in the subject is: it is set up with no record-number prefixes (its records setting is empty) and this route names no table. Ask the signrelay operator to add the prefix to records, or name the record as a line Record: TABLE/SYS_ID in the body']);
  });
});

describe('findRecord', () => {
  it.each(rows)('%s', (_label, sources, route, value, problem) => {
    const result = findRecord({ subject: '', body: '', html: false, ...sources }, RECORDS, route);
    expect(result.value).toEqual(value);
    if (problem) {
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatch(problem);
    } else {
      expect(result.problems).toEqual([]);
    }
  });

  describe('with delivery by email, which the instance files by the number alone (in whichever table holds it)', () => {
    const byEmail = (sources: Partial<RecordSources>, route: { table?: string; require_record: boolean } = required, trusted = true) =>
      findRecord({ subject: '', body: '', html: false, ...sources }, RECORDS, route, undefined, trusted, true);

    it.each([
      ['a Record: line naming a number of unknown prefix on a table', { body: 'Record: x_case/CHG0030001' }, { table: 'x_case', require_record: true }],
      ['an unknown prefix taken with the route table', { subject: 'Sign CHG0030001 please' }, { table: 'x_case', require_record: true }],
      ['an unknown prefix on a Record: line taken with the route table', { body: 'Record: CHG0030001' }, { table: 'x_case', require_record: true }],
    ] as const)('refuses %s', (_label, sources, route) => {
      const result = byEmail(sources, route);
      expect(result.value).toBeNull();
      expect(result.problems).toEqual(['CHG0030001 does not start with a prefix signrelay knows for x_case (known: RITM, HRC, INC), and the signed document goes back by mail, which the instance files by the number alone: name the record by a number with a known prefix, or ask the signrelay operator to add its prefix to records']);
    });

    it('takes a number whose prefix names its table, and an unknown prefix the instance\'s own watermark stands for', () => {
      expect(byEmail({ subject: 'RITM0010001' })).toEqual({ value: { number: 'RITM0010001', table: 'sc_req_item' }, problems: [] });
      const watermarked = byEmail({ subject: 'CASE0001234', body: 'Ref:MSG0000008_aLJc130zDhCVuh3spXmt' }, { table: 'x_case', require_record: true });
      expect(watermarked).toEqual({ value: { number: 'CASE0001234', table: 'x_case', watermark: 'Ref:MSG0000008_aLJc130zDhCVuh3spXmt' }, problems: [] });
      // A watermark anyone else pasted does not.
      expect(byEmail({ subject: 'CASE0001234', body: 'Ref:MSG0000008_aLJc130zDhCVuh3spXmt' }, { table: 'x_case', require_record: true }, false).problems).toHaveLength(1);
    });

    it('refuses a record named only by table/sys_id, which a mail to the instance cannot name — unless the instance\'s watermark does', () => {
      const sysId = '0123456789abcdef0123456789abcdef';
      expect(byEmail({ body: `Record: sc_req_item/${sysId}` }).problems).toEqual([
        `the record is named as sc_req_item/${sysId}, but this route delivers the signed document by mail, which the instance files by the record's number: name the record by its number (e.g. "Record: RITM0010001")`,
      ]);
      expect(byEmail({ body: `Record: sc_req_item/${sysId}\nRef:MSG0000008_aLJc130zDhCVuh3spXmt` }).problems).toEqual([]);
    });
  });

  it('keeps the watermark even when the number is ambiguous', () => {
    const result = findRecord({ subject: 'RITM0010001 RITM0010002', body: 'Ref:MSG71528958', html: false }, RECORDS, required);
    expect(result.value).toEqual({ watermark: 'Ref:MSG71528958' });
    expect(result.problems).toHaveLength(1);
  });
});
