// The record a request names must be one the instance holds, and asked before anything is
// sent: otherwise the signers sign and the signed document has nowhere to go.
// - On a route that delivers by email, the instance files a reply by its subject's number
//   only when that number matches a record, and otherwise falls through to other rules (a
//   new incident holding the signed PDF, or a header of the mail) — while signrelay would
//   tell the requester it is on the record.
// - On a route that delivers by REST, the attachment needs the record's sys_id, found by its
//   number (or read by the sys_id named): a number the instance does not show was found
//   missing only once signed, and the requester never heard of it.
// A record the integration user may not read looks the same as none (the instance filters
// what it answers), so the refusal says that too; a number two records carry is refused as
// well. When the instance cannot be asked (the table refused outright, not reachable), the
// number is taken as written, and the caller says so; completion looks again.
// A record named only by table/sys_id is refused for email routes when the mail is read
// (find-record.ts), and here again when the watermark that named it too was dropped.
import { describeError, isSignrelayError } from '../errors.ts';
import { INTAKE_LOOKUP_TIMEOUT_MS, type WatermarkLookup } from './check-watermark.ts';
import { unnumberedForEmail } from './find-record.ts';
import type { RequestDraft } from './types.ts';

export type NamedRecordCheck = { problem: string } | { unchecked: string } | null;

export async function checkNamedRecord(draft: RequestDraft, delivery: 'rest' | 'email', lookup: WatermarkLookup | undefined): Promise<NamedRecordCheck> {
  const record = draft.record;
  if (!record) return null;
  if (delivery === 'email') {
    const unnumbered = unnumberedForEmail(record);
    if (unnumbered) return { problem: unnumbered };
    // A watermark the instance vouched for names the record already (check-watermark.ts).
    if (record.watermark) return null;
  }
  if (!record.table || !lookup) return null;
  const named = record.number ?? `${record.table}/${record.sysId}`;
  try {
    if (record.number) await lookup.findRecord(record.table, record.number, { timeoutMs: INTAKE_LOOKUP_TIMEOUT_MS });
    else if (record.sysId) await lookup.getRecord(record.table, record.sysId, { timeoutMs: INTAKE_LOOKUP_TIMEOUT_MS });
    return null;
  } catch (err) {
    if (isSignrelayError(err) && (err.code === 'servicenow_record_not_found' || (err.code === 'servicenow_not_found' && !record.number))) {
      return { problem: `the ServiceNow instance shows signrelay no ${named} (in ${record.table}): check the record ${record.number ? 'number' : 'named'} — the signed document would not reach it. If it is right, signrelay's integration user may not read that record: ask the signrelay operator to give it read on ${record.table}` };
    }
    // Two records of one number (an import, a clone, a counter reset): the instance files the
    // signed mail by its number on either, or on none (ServiceNow review M2); by REST, the
    // number does not say which one to attach to.
    if (isSignrelayError(err) && (err.code === 'servicenow_record_ambiguous' || err.code === 'servicenow_number_mismatch')) {
      const instead = delivery === 'email'
        ? 'send the request from the record itself (its notification carries a reference that names it), or ask the signrelay operator to deliver this route by REST'
        : 'send the request from the record itself, or name it by a line "Record: TABLE/SYS_ID" (the sys_id is on the record\'s "Copy sys_id")';
      return { problem: `more than one ServiceNow record in ${record.table} carries the number ${named}, so the signed document could land on the wrong one: ${instead}` };
    }
    return { unchecked: describeError(err) };
  }
}
