// The `record` job: what a request's ServiceNow record hears of its signing besides the
// signed document — the note queued with the event (sent, a reminder, declined, expired,
// cancelled, failed) and servicenow.status_field set to the request's new state (sent, …,
// signed). The record is looked up once (its sys_id kept on the request); the note ends
// with a marker naming the request, the event and this update, so the journal finds it
// again after a crash; each PATCH is made exactly once (record-effects.ts). A refusal for
// good is one operator alert naming the permission, and the job ends: nothing else waits
// for a record update, least of all the delivery of a signed document.
import { raiseAlert } from '../alerts/raise-alert.ts';
import { isSignrelayError, SignrelayError } from '../errors.ts';
import type { JobHandler } from '../jobs/job-runner.ts';
import type { JobRow } from '../store/jobs.ts';
import { getRequest } from '../store/requests.ts';
import { addNoteOnce, alertRefusals, recordEffect, resolveRecord, setFieldOnce, type RecordDeps, type RecordRef } from './record-effects.ts';
import { RECORD_EVENTS, updateMarker, type RecordEvent } from '../notices/record-notes.ts';


interface Payload {
  event: RecordEvent;
  note: string | null;
  status: string | null;
}

function payloadOf(job: JobRow): Payload {
  const { event, note, status } = job.payload;
  if (typeof event !== 'string' || !(RECORD_EVENTS as readonly string[]).includes(event)) {
    throw new SignrelayError('permanent', 'bad_record_update', `record update ${job.id} names no known event (${String(event)})`);
  }
  return { event: event as RecordEvent, note: typeof note === 'string' ? note : null, status: typeof status === 'string' ? status : null };
}

export function createRecordUpdateHandler(deps: RecordDeps): JobHandler {
  return {
    async run(job) {
      const request = getRequest(deps.db, job.requestId!);
      if (!request) throw new SignrelayError('permanent', 'request_unknown', `request ${job.requestId} does not exist`);
      const { event, note, status } = payloadOf(job);
      if (event === 'progress' && (request.state === 'completed' || request.state === 'delivered')) {
        // A signer's note that waited out a retry while the request completed: the signed
        // note names every signer and is not followed by a "signed, k of n" (queue-signer-progress.ts).
        recordEffect(deps, request.id, `record-note-${job.id}`, 'superseded', { by: 'signed' });
        return;
      }
      let record: RecordRef;
      try {
        record = await resolveRecord(deps, request);
      } catch (err) {
        if (!isSignrelayError(err) || err.kind !== 'permanent') throw err;
        // Not found, or not readable: nothing can be written to it.
        recordEffect(deps, request.id, `record-${job.id}`, 'refused', { code: err.code, error: err.message });
        alertRefusals(deps, request, [err]);
        return;
      }
      const refusals: SignrelayError[] = [];
      if (note !== null && deps.config.servicenow.work_note) {
        const marker = updateMarker(request.id, event, job.id);
        const refused = await addNoteOnce(deps, request, record, { effect: `record-note-${job.id}`, marker, text: `${note} ${marker}` });
        if (refused) refusals.push(refused);
      }
      const field = deps.config.servicenow.status_field;
      if (status !== null && field) {
        const refused = await setFieldOnce(deps, request, record, { effect: `record-field-${job.id}`, field, value: status, update: job.id });
        if (refused) refusals.push(refused);
      }
      alertRefusals(deps, request, refusals);
    },
    onGiveUp(job, reason) {
      // Retried until the runner gave up (the instance kept failing): the operator is told;
      // the request itself is not touched — its record update is not its outcome.
      const request = job.requestId ? getRequest(deps.db, job.requestId) : undefined;
      raiseAlert(deps, {
        kind: 'record', requestId: job.requestId,
        subject: `signrelay could not update ${request?.recordNumber ?? 'a record'} (request ${job.requestId})`,
        text: `signrelay gave up adding the "${String(job.payload.event)}" update (work note, status field) to ${request?.recordNumber ?? 'the record'} for request ${job.requestId}: ${reason}\n` +
          'Nothing else waited for it. If the record should show it, add it by hand.',
      });
    },
  };
}
