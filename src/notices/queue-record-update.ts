// Queues what the record hears of an event — its work note, the status field's new value —
// as a durable `record` job (update-record.ts), inside the transaction of the transition or
// effect it reports: the event and its update are committed together or not at all, and
// the update is then made exactly once by the job, whatever crashes come between.
//
// Only for a route that delivers by REST: with `delivery: email` signrelay may have no REST
// access to the instance at all, and the record hears only the signed mail (whose body is
// the signed note). Notes follow servicenow.work_note; the field servicenow.status_field.
import type { Config } from '../config/schema.ts';
import { enqueueJob } from '../store/jobs.ts';
import type { Db } from '../store/open-database.ts';
import { getDocuments, getRequest, type RequestRow } from '../store/requests.ts';
import { requestMailOf } from '../store/request-mail-event.ts';
import { deliveryModeOf } from './delivery-mode.ts';
import { noteFor, STATELESS_EVENTS, type RecordUpdate } from './record-notes.ts';

/** Call inside the transaction that records the event. Returns whether a job was queued. */
export function queueRecordUpdate(db: Db, config: Config, requestId: string, update: RecordUpdate, now: Date): boolean {
  const request = getRequest(db, requestId);
  if (!request || !reachableByRest(config, request)) return false;
  // The sent note names the requester and how intake authenticated them (the request mail's event).
  const told = update.event === 'sent' ? { ...update, requestMail: requestMailOf(db, requestId) } : update;
  const note = config.servicenow.work_note ? noteFor(told, request, getDocuments(db, requestId)) : null;
  // A reminder, one signer's signature or a requester's question changes nothing about the request's state.
  const status = config.servicenow.status_field && !STATELESS_EVENTS.has(update.event) ? update.event : null;
  if (note === null && status === null) return false;
  enqueueJob(db, { kind: 'record', requestId, payload: { event: update.event, ...(note !== null ? { note } : {}), ...(status !== null ? { status } : {}) } }, now);
  return true;
}

/** Whether an event of this request gets a work note on its record (what mails to the requester may promise). */
export function recordGetsNotes(config: Config, request: RequestRow): boolean {
  return config.servicenow.work_note && reachableByRest(config, request);
}

/** A REST route, and a record the request names well enough to be found. */
function reachableByRest(config: Config, request: RequestRow): boolean {
  if (deliveryModeOf(config, request.route) !== 'rest') return false;
  if (request.recordSysId && request.recordTable) return true;
  return !!request.recordNumber && !!(request.recordTable ?? config.routes[request.route]?.table);
}
