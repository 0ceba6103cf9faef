// On a route that delivers by email, the record the mail names must be one the instance
// holds: the instance files a reply by its subject's number only when that number matches a
// record, and otherwise falls through to other rules (a new incident holding the signed PDF,
// or a header of the mail) — while signrelay would tell the requester it is on the record.
// So a number the instance does not show is refused before anything is sent. A record the
// integration user may not read looks the same as none (the instance filters what it
// answers), so the refusal says that too; a number two records carry is refused as well. When the instance cannot be asked (the table
// refused outright, not reachable), the number is taken as written, and the caller says so.
// A record named only by table/sys_id is refused for email routes when the mail is read
// (find-record.ts), and here again when the watermark that named it too was dropped.
import { describeError, isSignrelayError } from '../errors.ts';
import type { WatermarkLookup } from './check-watermark.ts';
import { unnumberedForEmail } from './find-record.ts';
import type { RequestDraft } from './types.ts';

export type NamedRecordCheck = { problem: string } | { unchecked: string } | null;

export async function checkNamedRecord(draft: RequestDraft, delivery: 'rest' | 'email', lookup: WatermarkLookup | undefined): Promise<NamedRecordCheck> {
  const record = draft.record;
  if (!record || delivery !== 'email') return null;
  const unnumbered = unnumberedForEmail(record);
  if (unnumbered) return { problem: unnumbered };
  // A watermark the instance vouched for names the record already (check-watermark.ts).
  if (!record.number || !record.table || record.watermark || !lookup) return null;
  try {
    await lookup.findRecord(record.table, record.number);
    return null;
  } catch (err) {
    if (isSignrelayError(err) && err.code === 'servicenow_record_not_found') {
      return { problem: `the ServiceNow instance shows signrelay no ${record.number} (in ${record.table}): check the record number — the signed document would not reach it. If the number is right, signrelay's integration user may not read that record: ask the signrelay operator to give it read on ${record.table}` };
    }
    // Two records of one number (an import, a clone, a counter reset): the instance files the
    // signed mail by its number on either, or on none (ServiceNow review M2).
    if (isSignrelayError(err) && (err.code === 'servicenow_record_ambiguous' || err.code === 'servicenow_number_mismatch')) {
      return { problem: `more than one ServiceNow record in ${record.table} carries the number ${record.number}, so the signed document could land on the wrong one: send the request from the record itself (its notification carries a reference that names it), or ask the signrelay operator to deliver this route by REST` };
    }
    return { unchecked: describeError(err) };
  }
}
