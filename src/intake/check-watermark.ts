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
  findWatermark(watermark: string, options?: { timeoutMs?: number }): Promise<{ table: string; sysId: string } | null>;
  findRecord(table: string, number: string, options?: { timeoutMs?: number }): Promise<{ table: string; sysId: string }>;
  getRecord(table: string, sysId: string, options?: { timeoutMs?: number }): Promise<{ table: string; sysId: string }>;
}

/**
 * How long intake waits for the instance to answer a lookup: a mail waits on it, and with a
 * hung instance every request mail waited servicenow.timeout_seconds (60 s by default) before
 * it was taken as written (diff review 21, suspected). An answer later than this is taken as
 * none: the number is taken as written and completion looks again.
 */
export const INTAKE_LOOKUP_TIMEOUT_MS = 10_000;
const WAIT = { timeoutMs: INTAKE_LOOKUP_TIMEOUT_MS };

export type WatermarkCheck =
  | { kind: 'kept' | 'not-needed' }
  /** `unanswered`: the instance did not answer (so the named record is not asked about again: it would wait as long). */
  | { kind: 'dropped'; draft: RequestDraft; why: string; unanswered?: boolean }
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
    marked = await lookup.findWatermark(mark, WAIT);
    if (marked === null) return drop('the instance knows no such watermark');
    target = record.sysId ? { table: record.table ?? marked.table, sysId: record.sysId } : await lookup.findRecord(record.table!, record.number!, WAIT);
  } catch (err) {
    const dropped = drop(`it could not be checked with the instance (${describeError(err)})`);
    // Not answered (a timeout, an outage): not asked again for this mail. An answer — no such
    // record, no access — lets the named record's own check refuse a mistyped number (re-read B 1).
    return isSignrelayError(err) && err.kind !== 'transient' ? dropped : { ...dropped, unanswered: true } as WatermarkCheck;
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

