// What signrelay changes on a ServiceNow record besides attaching — a work note, the
// status field — each exactly once across crashes: an intent recorded before the PATCH and
// a result after. An intent with no result (the process died, the answer was lost, a 500)
// is settled before anything is PATCHed again: a note from the record's journal (it
// carries a marker naming its request), the field by reading it back. An HTTP error answer
// of the instance applied nothing: a transient one (429, 503) is recorded as failed and
// tried again with the job; a permanent one (403, 404, 400, a field not stored) is a
// refusal for the operator, returned to the caller — never thrown, so no note or field can
// keep a signed document from being delivered. (A PATCH whose answer was lost holds its job
// until the instance can no longer be carrying it out: waitWhileSettling.) Shared by the
// delivery (its signed note) and the `record` job (every other note and the field).
import { raiseAlert } from '../alerts/raise-alert.ts';
import { operatorCommand } from '../service-unit.ts';
import type { Config } from '../config/schema.ts';
import { describeError, isSignrelayError, SignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { addEvent, lastEffectAt, lastEffectPhase, listEvents } from '../store/events.ts';
import type { Db } from '../store/open-database.ts';
import { setRecordResolved, type RequestRow } from '../store/requests.ts';

/** The slice of the ServiceNow client a record's notes and field need (the real client satisfies it). */
export interface RecordApi {
  findRecord(table: string, number: string): Promise<{ table: string; sysId: string; number: string }>;
  addWorkNote(table: string, sysId: string, text: string): Promise<void>;
  findJournalEntries(table: string, sysId: string, field: 'work_notes', containing: string): Promise<Array<{ sysId: string; value: string }>>;
  setField(table: string, sysId: string, field: string, value: string): Promise<void>;
  readField(table: string, sysId: string, field: string): Promise<string | undefined>;
}

export interface RecordDeps {
  db: Db;
  config: Config;
  servicenow: RecordApi;
  logger: Logger;
  now: () => Date;
}

export interface RecordRef {
  table: string;
  sysId: string;
}

type Phase = 'intent' | 'done' | 'failed' | 'skipped' | 'refused' | 'superseded' | 'altered';
/** Phases after which an effect is over: nothing is PATCHed for it again. */
const OVER: ReadonlySet<string> = new Set(['done', 'skipped', 'refused', 'superseded']);

/** Codes of an HTTP error answer: the instance refused the call, so nothing was applied. Anything
 *  else (no answer, a timeout, a 500, a garbled 2xx) leaves the outcome unknown. A 503 counts as
 *  refused: the instance is unavailable (maintenance, a node restarting, hibernation) and took
 *  nothing — taken as unknown, its retry would need the journal, which most integration users
 *  may not read, and the note would be skipped. (A proxy that answers 503 after the instance
 *  took the call would make the note twice: the lesser harm.) */
const REFUSED = new Set([
  'servicenow_rate_limited', 'servicenow_unavailable', 'servicenow_auth', 'servicenow_forbidden',
  'servicenow_not_found', 'servicenow_bad_request', 'servicenow_rejected', 'servicenow_field_not_stored',
  // Something between signrelay and the instance answered (a proxy's block page): the call never reached it.
  'servicenow_not_the_api',
]);

/** Whether the instance refused a call outright (an HTTP error answer): it applied nothing. */
export function wasRefused(err: unknown): boolean {
  return isSignrelayError(err) && REFUSED.has(err.code);
}

export function recordEffect(deps: Pick<RecordDeps, 'db' | 'now'>, requestId: string, name: string, phase: Phase, detail: Record<string, unknown> = {}): void {
  addEvent(deps.db, { requestId, kind: 'effect', detail: { effect: name, phase, ...detail } }, deps.now());
}

/** The request's record: its sys_id once looked up (kept on the request), else found by number. */
export async function resolveRecord(deps: Pick<RecordDeps, 'db' | 'config' | 'servicenow' | 'now'>, request: RequestRow): Promise<RecordRef> {
  if (request.recordSysId && request.recordTable) return { table: request.recordTable, sysId: request.recordSysId };
  const table = request.recordTable ?? deps.config.routes[request.route]?.table;
  if (!request.recordNumber || !table) {
    throw new SignrelayError('permanent', 'no_record', `request ${request.id} names no ServiceNow record to attach the signed document to`);
  }
  const found = await deps.servicenow.findRecord(table, request.recordNumber);
  setRecordResolved(deps.db, request.id, found, deps.now());
  return found;
}

/** Runs one PATCH between its intent and its result; a permanent refusal is returned, anything else unknown or retryable is thrown. */
async function patchOnce(deps: RecordDeps, requestId: string, name: string, detail: Record<string, unknown>, patch: () => Promise<void>): Promise<SignrelayError | null> {
  recordEffect(deps, requestId, name, 'intent', detail);
  try {
    await patch();
  } catch (err) {
    if (!isSignrelayError(err) || !wasRefused(err)) throw err; // unknown: settled before the next PATCH
    if (err.kind === 'permanent') {
      recordEffect(deps, requestId, name, 'refused', { code: err.code, error: err.message });
      return err;
    }
    recordEffect(deps, requestId, name, 'failed', { code: err.code });
    throw err;
  }
  recordEffect(deps, requestId, name, 'done', detail);
  return null;
}

/**
 * A call whose answer was lost may still be carried out by the instance (a slow transaction
 * runs on after the client gave up, until ServiceNow's quota ends it): what it would change is
 * not looked for as settled before servicenow.upload_settle_seconds after it began. Until
 * then the job waits (a scheduled wait, uncounted) — looked at sooner, a note not stored yet
 * was written a second time beside it, and a field read back empty was set again.
 */
export function waitWhileSettling(deps: Pick<RecordDeps, 'db' | 'config' | 'now'>, requestId: string, effect: string, what: string): void {
  const began = lastEffectAt(deps.db, requestId, effect, 'intent');
  if (!began) return;
  const waitMs = began.getTime() + deps.config.servicenow.upload_settle_seconds * 1000 - deps.now().getTime();
  if (waitMs <= 0) return;
  throw new SignrelayError('transient', 'servicenow_upload_settling',
    `${what} got no answer and is not on the record yet; the instance may still be carrying it out, so the record is looked at again in ${Math.ceil(waitMs / 1000)} s (servicenow.upload_settle_seconds) before it is made again`,
    { retryAfterSeconds: Math.ceil(waitMs / 1000) });
}

/** A work note, exactly once: an unknown outcome is settled from the journal — once the instance cannot still be storing it — before another PATCH. */
export async function addNoteOnce(deps: RecordDeps, request: Pick<RequestRow, 'id'>, record: RecordRef, note: { effect: string; marker: string; text: string }): Promise<SignrelayError | null> {
  const last = lastEffectPhase(deps.db, request.id, note.effect);
  if (last !== undefined && OVER.has(last)) return null;
  if (last === 'intent') {
    if (await noteSettledFromJournal(deps, request, record, note)) return null;
    waitWhileSettling(deps, request.id, note.effect, `the work note on ${record.table} ${record.sysId}`);
  }
  return patchOnce(deps, request.id, note.effect, {}, () => deps.servicenow.addWorkNote(record.table, record.sysId, note.text));
}

/** A PATCH whose outcome is unknown (the process died, the answer was lost): is the note in the journal? */
async function noteSettledFromJournal(deps: RecordDeps, request: Pick<RequestRow, 'id'>, record: RecordRef, note: { effect: string; marker: string }): Promise<boolean> {
  let found: Array<{ sysId: string }>;
  try {
    found = await deps.servicenow.findJournalEntries(record.table, record.sysId, 'work_notes', note.marker);
  } catch (err) {
    if (!isSignrelayError(err) || err.kind !== 'permanent') throw err; // retried with the job
    // The journal cannot be read (no read on sys_journal_field): at most once — a missing
    // note is better than a doubled one.
    deps.logger.warn('a work note may already be on the record and its journal cannot be read: not adding it again', {
      requestId: request.id, record: record.sysId, error: describeError(err),
    });
    recordEffect(deps, request.id, note.effect, 'skipped', { reason: describeError(err) });
    return true;
  }
  if (found.length === 0) return false;
  recordEffect(deps, request.id, note.effect, 'done', { entry: found[0]!.sysId, resolvedBy: 'journal' });
  return true;
}

/**
 * servicenow.status_field set to `value`, exactly once: an unknown outcome is settled by
 * reading the field back. `update` orders a request's updates: one that a later update of
 * the same request has already overtaken (this one waited out a retry) is not written —
 * the record keeps the newer state.
 */
export async function setFieldOnce(deps: RecordDeps, request: Pick<RequestRow, 'id'>, record: RecordRef, change: { effect: string; field: string; value: string; update: number }): Promise<SignrelayError | null> {
  const last = lastEffectPhase(deps.db, request.id, change.effect);
  if (last !== undefined && OVER.has(last)) return null;
  const newer = newerFieldUpdate(deps.db, request.id, change.update);
  if (newer !== undefined) {
    recordEffect(deps, request.id, change.effect, 'superseded', { by: newer });
    return null;
  }
  // Another value whose PATCH got no answer (an earlier one, as a rule) could still land after
  // this one and overwrite it (a delivered record showing "sent"): this one waits until it no longer can.
  for (const earlier of unsettledFieldEffects(deps.db, request.id, change.effect)) {
    waitWhileSettling(deps, request.id, earlier, `an earlier update of ${change.field} on ${record.table} ${record.sysId}`);
  }
  if (last === 'intent') {
    let stored: string | undefined;
    try {
      stored = await deps.servicenow.readField(record.table, record.sysId, change.field);
    } catch (err) {
      if (!isSignrelayError(err) || err.kind !== 'permanent') throw err;
      deps.logger.warn('the status field may already be set and cannot be read back: not setting it again', {
        requestId: request.id, record: record.sysId, field: change.field, error: describeError(err),
      });
      recordEffect(deps, request.id, change.effect, 'skipped', { reason: describeError(err) });
      return null;
    }
    if (stored === change.value) {
      recordEffect(deps, request.id, change.effect, 'done', { field: change.field, value: change.value, update: change.update, resolvedBy: 'read' });
      return null;
    }
    waitWhileSettling(deps, request.id, change.effect, `the update of ${change.field} on ${record.table} ${record.sysId}`);
  }
  return patchOnce(deps, request.id, change.effect, { field: change.field, value: change.value, update: change.update },
    () => deps.servicenow.setField(record.table, record.sysId, change.field, change.value));
}

/** The request's other field updates whose last word is their intent: their PATCH's outcome unknown. */
function unsettledFieldEffects(db: Db, requestId: string, except: string): string[] {
  const last = new Map<string, unknown>();
  const fields = new Set<string>();
  for (const { kind, detail } of listEvents(db, requestId)) {
    if (kind !== 'effect' || typeof detail?.effect !== 'string' || detail.effect === except) continue;
    last.set(detail.effect, detail.phase);
    if ('field' in detail) fields.add(detail.effect);
  }
  return [...fields].filter((effect) => last.get(effect) === 'intent');
}

/** The number of a later update of this request whose field value is already on the record. */
function newerFieldUpdate(db: Db, requestId: string, update: number): number | undefined {
  return listEvents(db, requestId)
    .map((e) => e.detail)
    .find((d) => d?.phase === 'done' && typeof d.update === 'number' && d.update > update && 'field' in d)?.update as number | undefined;
}

/**
 * One operator alert for what the instance refused for good (each message names the
 * permission: write on the table's work_notes, on the status field, read on the table).
 * The work goes on without it: nothing waits for a note or a field.
 */
/** Codes of a record that cannot be found or read (client.ts resolve): nothing reaches it. */
const RECORD_NOT_FOUND_CODES: ReadonlySet<string> = new Set(['servicenow_record_not_found', 'servicenow_record_ambiguous', 'servicenow_number_mismatch']);

export function alertRefusals(deps: Pick<RecordDeps, 'db' | 'config' | 'logger' | 'now'>, request: Pick<RequestRow, 'id' | 'recordNumber'>, refusals: SignrelayError[]): void {
  if (refusals.length === 0) return;
  const record = request.recordNumber ?? 'its record';
  // The record itself not found or not readable: the signed document cannot reach it either
  // (the alert promised it would; ServiceNow review M1).
  if (refusals.some((r) => RECORD_NOT_FOUND_CODES.has(r.code))) {
    raiseAlert(deps, {
      kind: 'record', requestId: request.id,
      subject: `ServiceNow shows signrelay no record ${record} (request ${request.id})`,
      text: `signrelay could not find ${record} for request ${request.id} at the instance:\n${refusals.map((r) => `- ${r.message}`).join('\n')}\n` +
        'The signed document cannot be attached to it either: once signed, the request fails unless the record is found by then. ' +
        `Check the record number (\`${operatorCommand(`show ${request.id}`)}\`); if it is right, give the integration user read on its table. ` +
        `To stop the signing instead, \`${operatorCommand(`cancel ${request.id}`)}\`.`,
    });
    return;
  }
  raiseAlert(deps, {
    kind: 'record', requestId: request.id,
    subject: `ServiceNow refused signrelay's update of ${record} (request ${request.id})`,
    text: `ServiceNow refused a work note, the status field or a certificate beside the signed copy on ${record} for request ${request.id}, for good:\n` +
      `${refusals.map((r) => `- ${r.message}`).join('\n')}\n` +
      'Nothing else waits for it: a signed document is still attached and the request goes on. Give the integration user the permission named above; ' +
      'later updates of the record will use it (this one is not made again).',
  });
}
