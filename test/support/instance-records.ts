/**
 * Records the ServiceNow simulator holds in every world: a run of requested items
 * (RITM0010001–RITM0010299, for tests that each take their own number), HR cases and an
 * incident. signrelay looks a named record up before it sends anything: a number outside
 * these is one the instance does not show.
 */
export const RECORDS = [
  ...Array.from({ length: 299 }, (_, i) => ({ table: 'sc_req_item', number: `RITM${String(10_001 + i).padStart(7, '0')}` })),
  ...['HRC0001234', 'HRC0001235', 'HRC0001236', 'HRC0001240'].map((number) => ({ table: 'sn_hr_core_case', number })),
  { table: 'incident', number: 'INC0012345' },
];
