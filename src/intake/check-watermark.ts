// A request that names its record AND carries the instance's watermark, on a route that
// delivers by email: the instance files the signed document by the watermark before
// anything else, so the two must be the same record. The instance is asked which record
// the watermark was issued for (sys_watermark); another record → the request is refused,
// before anything is stamped or sent. When the instance cannot say (no such watermark, no
// read access, not reachable), the watermark is dropped: the named record then decides
// (`re: NUMBER` in the subject), which cannot be another record.
import { describeError, isSignrelayError } from '../errors.ts';
import type { RecordRef as NamedRecord, RequestDraft } from './types.ts';

export interface WatermarkLookup {
  findWatermark(watermark: string): Promise<{ table: string; sysId: string } | null>;
  findRecord(table: string, number: string): Promise<{ table: string; sysId: string }>;
}

export type WatermarkCheck =
  | { kind: 'kept' | 'not-needed' }
  | { kind: 'dropped'; draft: RequestDraft; why: string }
  | { kind: 'conflict'; problem: string };

export async function checkWatermark(draft: RequestDraft, delivery: 'rest' | 'email', lookup: WatermarkLookup | undefined): Promise<WatermarkCheck> {
  const record = draft.record;
  const mark = record?.watermark;
  // REST delivery never uses the watermark; alone, it is the only name of the record.
  if (!record || !mark || delivery !== 'email' || (!record.number && !record.sysId)) return { kind: 'not-needed' };
  const named = record.number ?? `${record.table}/${record.sysId}`;
  const drop = (why: string): WatermarkCheck => ({ kind: 'dropped', why, draft: { ...draft, record: withoutWatermark(record) } });
  if (!lookup) return drop('the instance cannot be asked which record it belongs to');
  let marked: { table: string; sysId: string } | null;
  let target: { table: string; sysId: string };
  try {
    marked = await lookup.findWatermark(mark);
    if (marked === null) return drop('the instance knows no such watermark');
    target = record.sysId ? { table: record.table ?? marked.table, sysId: record.sysId } : await lookup.findRecord(record.table!, record.number!);
  } catch (err) {
    return drop(`it could not be checked with the instance (${describeError(err)})`);
  }
  if (marked.sysId === target.sysId) return { kind: 'kept' };
  return {
    kind: 'conflict',
    problem: `the mail names ${named}, but its ServiceNow watermark ${mark} belongs to another record (${marked.table}/${marked.sysId}), where the instance would file the signed document: ` +
      'name one record — send it again from that record\'s own notification, or without the other record\'s watermark',
  };
}

function withoutWatermark(record: NamedRecord): NamedRecord {
  const { watermark: _dropped, ...rest } = record;
  return rest;
}

/**
 * On a route that delivers by email, the record the mail names must be one the instance
 * holds: the instance files a reply by its subject's number only when that number matches a
 * record, and otherwise falls through to other rules (a new incident holding the signed PDF,
 * or a header of the mail) — while signrelay would tell the requester it is on the record.
 * So a number the instance does not show is refused before anything is sent, and so is a
 * record named only by table/sys_id, which a mail cannot name. A record the integration user
 * may not read looks the same as none (the instance filters what it answers), so the refusal
 * says that too. When the instance cannot be asked (the table refused outright, not
 * reachable), the number is taken as written.
 */
export async function checkNamedRecord(draft: RequestDraft, delivery: 'rest' | 'email', lookup: WatermarkLookup | undefined): Promise<{ problem: string } | null> {
  const record = draft.record;
  if (!record || delivery !== 'email' || record.watermark) return null;
  if (!record.number) {
    return record.sysId
      ? { problem: `the record is named as ${record.table ?? 'table'}/${record.sysId}, but this route delivers the signed document by mail, which the instance files by the record's number: name the record by its number (e.g. "Record: RITM0010001")` }
      : null;
  }
  if (!lookup || !record.table) return null;
  try {
    await lookup.findRecord(record.table, record.number);
    return null;
  } catch (err) {
    if (isSignrelayError(err) && err.code === 'servicenow_record_not_found') {
      return { problem: `the ServiceNow instance shows signrelay no ${record.number} (in ${record.table}): check the record number — the signed document would not reach it. If the number is right, signrelay's integration user may not read that record: ask the signrelay operator to give it read on ${record.table}` };
    }
    return null;
  }
}
