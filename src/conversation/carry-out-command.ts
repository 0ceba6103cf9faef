// The `command` job: a reply command that asks the provider — `remind` (the signers who have
// not signed yet), `extend` (a later due date) or `status` (who has signed) — carried out
// once and answered once. A reminder or an extension has an intent and a result per document
// in the audit trail (effects `reply-reminder-N-SEQ`, `reply-extend-N-SEQ`): a retry after a
// crash skips a document whose call may have gone out (a missing reminder is better than
// two; a due date whose move is unknown is said to be unknown, not asked for again). The
// record's note and the answer are queued in the transaction that marks the command done
// (for extend, with the last call's result and the request's new due date); a command
// already done does nothing.
import type { Config } from '../config/schema.ts';
import { describeError, isOutcomeUnknown, isSignrelayError, SignrelayError } from '../errors.ts';
import type { JobHandler } from '../jobs/job-runner.ts';
import type { Logger } from '../log.ts';
import { queueRecordUpdate } from '../notices/queue-record-update.ts';
import { recordValue } from '../servicenow/record-text.ts';
import { messageIdList } from '../message/mail-headers.ts';
import { waitingForSigners, type DocumentStatus, type SigningProvider } from '../providers/provider.ts';
import { findReplyCommand, finishReplyCommand, type ReplyCommandRow } from '../store/conversation.ts';
import { addEvent, lastEffectPhase } from '../store/events.ts';
import { lastReminderAt, REMIND_AGAIN_AFTER_MS } from '../store/reminder-effects.ts';
import type { Db } from '../store/open-database.ts';
import { getDocuments, getRequest, sentDocumentOf, setDueDate, type RequestRow } from '../store/requests.ts';
import type { AnsweredReply } from './compose-answer.ts';
import { queueAnswer } from './queue-answer.ts';
import { describeSignerProgress } from '../notices/signer-progress.ts';

import { readStatuses } from '../notices/queue-signer-progress.ts';
import { dueMoment, utcMinute } from '../time.ts';

export interface CommandDeps {
  db: Db;
  config: Config;
  provider: SigningProvider;
  logger: Logger;
  now: () => Date;
  jobsQueued?: () => void;
}

interface CommandPayload {
  reply: number;
  answerTo: string | null;
  replyMail: AnsweredReply;
}

/** A reply job's payload (this job's and the cancel job's): the reply's row and what its answer needs. */
export function payloadOf(payload: Record<string, unknown>): CommandPayload {
  return {
    reply: Number(payload.reply),
    answerTo: typeof payload.answerTo === 'string' ? payload.answerTo : null,
    replyMail: { subject: typeof payload.subject === 'string' ? payload.subject : null, messageId: typeof payload.messageId === 'string' ? payload.messageId : null, references: messageIdList(payload.references) },
  };
}

export function createCommandHandler(deps: CommandDeps): JobHandler {
  const { db } = deps;

  /**
   * The answer and the command's end, in one transaction (with the record's note when given).
   * `changed`: the provider did (or may have done) what was asked, so the answer is never held back.
   */
  function finish(command: ReplyCommandRow, request: RequestRow, payload: CommandPayload, said: string, done: { record?: () => void; changed?: boolean } = {}): void {
    db.transaction(() => {
      done.record?.();
      // As the command left it (an extend's new due date in the answer's footer).
      const now = getRequest(db, request.id) ?? request;
      const messageId = payload.answerTo === null ? null
        : queueAnswer(db, deps.config, deps.provider, now, { reply: payload.replyMail, to: payload.answerTo, said, withHelp: false, changed: done.changed }, deps.now());
      finishReplyCommand(db, command.id, messageId, deps.now());
    })();
    deps.jobsQueued?.();
  }

  /** Each sent document of the request, with what an earlier run of this command did to it (effect `reply-NAME-COMMAND-SEQ`). */
  function documentEffects(request: RequestRow, name: 'reminder' | 'extend', command: ReplyCommandRow) {
    return getDocuments(db, request.id).flatMap((doc) => {
      if (!doc.providerRef) return [];
      const effect = `reply-${name}-${command.id}-${doc.seq}`;
      return [{ doc: { ...doc, providerRef: doc.providerRef }, effect, phase: lastEffectPhase(db, request.id, effect), document: sentDocumentOf(request, doc) }];
    });
  }

  /** The provider call, its intent recorded before it and its refusal after; its result is the caller's, with what it reports.
   * A call whose answer was lost (timeout, broken connection) may have been carried out: its intent stays
   * standing, unrecorded as failed, so the job's retry reads it as unknown and does not call again. */
  async function callOnce(request: RequestRow, effect: string, reference: string, detail: Record<string, unknown>, call: () => Promise<void>): Promise<void> {
    addEvent(db, { requestId: request.id, kind: 'effect', detail: { effect, phase: 'intent', reference, ...detail } }, deps.now());
    try {
      await call();
    } catch (err) {
      if (isOutcomeUnknown(err)) throw err;
      addEvent(db, { requestId: request.id, kind: 'effect', detail: { effect, phase: 'failed', error: describeError(err) } }, deps.now());
      throw err;
    }
  }

  async function status(command: ReplyCommandRow, request: RequestRow, payload: CommandPayload): Promise<void> {
    if (request.state !== 'sent') {
      finish(command, request, payload, `Request ${request.id} is ${request.state}: ${request.state === 'delivered' ? 'the signed document is on the record' : 'it is no longer out for signature'}.`);
      return;
    }
    const progress = progressSentence(request.signers, await readStatuses(db, deps.provider, request));
    finish(command, request, payload, progress, {
      record: () => queueRecordUpdate(db, deps.config, request.id, { event: 'asked', by: command.sender ?? payload.answerTo ?? '', said: progress }, deps.now()),
    });
  }

  async function remind(command: ReplyCommandRow, request: RequestRow, payload: CommandPayload): Promise<void> {
    if (request.state !== 'sent') {
      finish(command, request, payload, `Request ${request.id} is ${request.state} now: nobody was reminded.`);
      return;
    }
    const effects = documentEffects(request, 'reminder', command);
    // A reminder a day at most, whoever asks: fifty `remind` replies must not mean fifty
    // reminders in a signer's inbox. (A command already under way finishes as it began.)
    /** A reminder within the day that is not this command's own (the schedule's, another reply's). */
    const remindedElsewhere = () => {
      const last = lastReminderAt(db, request.id, { except: `reply-reminder-${command.id}-` });
      return last && deps.now().getTime() - last.getTime() < REMIND_AGAIN_AFTER_MS ? last : undefined;
    };
    const remindedAlready = (last: Date) => {
      const again = new Date(last.getTime() + REMIND_AGAIN_AFTER_MS);
      finish(command, request, payload, `The signers were reminded on ${utcMinute(last)}; another reminder can go from ${utcMinute(again)}: reply "remind" again then.`);
    };
    const last = effects.every((e) => e.phase === undefined) ? remindedElsewhere() : undefined;
    if (last) {
      remindedAlready(last);
      return;
    }
    const outcomes: string[] = [];
    let waiting: DocumentStatus[] = [];
    // One note on the record for the reminder, however many documents it took (multidoc review
    // L5) — also across a retry of this job: a document reminded by an earlier attempt noted it (re-read A 2).
    let noted = effects.some((e) => e.phase === 'done');
    for (const { doc, effect, phase, document } of effects) {
      if (phase === 'done') { outcomes.push('sent'); continue; }
      // An intent without a result: the process died during the call, which may have gone out.
      if (phase === 'intent') { outcomes.push('unknown'); continue; }
      const current = await deps.provider.status(document);
      if (!waitingForSigners(current)) { outcomes.push('nobody'); continue; }
      // The schedule may have reminded while the status was read: looked at again with the
      // intent (callOnce records it first), in one synchronous step — for every document.
      const meanwhile = remindedElsewhere();
      if (meanwhile && !outcomes.includes('sent')) {
        remindedAlready(meanwhile);
        return;
      }
      if (meanwhile) { outcomes.push('nobody'); continue; } // this one reminded by the schedule
      try {
        await callOnce(request, effect, doc.providerRef, {}, () => deps.provider.sendReminder(document, current));
      } catch (err) {
        // Signed in the moment between the look and the call: nobody was reminded (its effect says failed).
        if (!isSignrelayError(err) || err.code !== 'nobody_to_remind') throw err;
        outcomes.push('nobody');
        continue;
      }
      waiting = [...waiting, current];
      db.transaction(() => {
        addEvent(db, { requestId: request.id, kind: 'effect', detail: { effect, phase: 'done', reference: doc.providerRef } }, deps.now());
        if (!noted) queueRecordUpdate(db, deps.config, request.id, { event: 'reminded', by: command.sender ?? undefined }, deps.now());
      })();
      noted = true;
      outcomes.push('sent');
      deps.logger.info('reminder sent on request by reply', { requestId: request.id, reference: doc.providerRef });
    }
    const progress = waiting.length > 0 ? ` ${progressSentence(request.signers, waiting)}` : '';
    const said = outcomes.includes('sent')
      ? `${deps.provider.displayName} reminded the signers who have not signed yet.${progress}`
      : outcomes.includes('unknown')
        ? `Whether ${deps.provider.displayName} sent the reminder is not known (its answer was lost, or signrelay stopped during the call); it is not sent twice.`
        : 'Nobody was reminded: the provider no longer has the document out for signature.';
    finish(command, request, payload, said, { changed: outcomes.includes('sent') || outcomes.includes('unknown') });
  }

  async function extend(command: ReplyCommandRow, request: RequestRow, payload: CommandPayload): Promise<void> {
    const due = command.argument ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(due)) throw new SignrelayError('permanent', 'reply_extend_no_date', `reply command ${command.id} (extend) holds no due date`);
    if (request.state !== 'sent') {
      finish(command, request, payload, `Request ${request.id} is ${request.state} now: its due date stays ${request.dueDate}.`);
      return;
    }
    // Two replies asking for the same date (or an earlier one) before either was carried out.
    if (due <= request.dueDate) {
      finish(command, request, payload, `The due date of request ${request.id} is ${request.dueDate} already, not earlier than ${due}: nothing was changed.`);
      return;
    }
    const outcomes: Array<'moved' | 'unknown' | 'nobody'> = [];
    for (const { doc, effect, phase, document } of documentEffects(request, 'extend', command)) {
      if (phase === 'done') { outcomes.push('moved'); continue; }
      // An intent without a result: the process died during the call, which may have moved it.
      if (phase === 'intent') { outcomes.push('unknown'); continue; }
      if ((await deps.provider.status(document)).phase !== 'in-progress') { outcomes.push('nobody'); continue; }
      await callOnce(request, effect, doc.providerRef, { dueDate: due }, () => deps.provider.extend(document, dueMoment(due)));
      // Recorded at once: a crash before the answer leaves every move `done`, and the retry
      // moves the request's due date and answers, as this run would have.
      addEvent(db, { requestId: request.id, kind: 'effect', detail: { effect, phase: 'done', reference: doc.providerRef, dueDate: due } }, deps.now());
      outcomes.push('moved');
      deps.logger.info('due date moved by reply', { requestId: request.id, reference: doc.providerRef, dueDate: due });
    }
    const name = deps.provider.displayName;
    if (outcomes.includes('unknown')) {
      finish(command, request, payload, `Whether ${name} moved the due date to ${due} is not known (its answer was lost, or signrelay stopped during the call); it is not asked again, and signrelay keeps ${request.dueDate} as the due date.`, { changed: true });
      return;
    }
    if (!outcomes.includes('moved')) {
      finish(command, request, payload, `The due date stays ${request.dueDate}: ${name} no longer has the document out for signature.`);
      return;
    }
    finish(command, request, payload, `${name} moved the due date of request ${request.id} from ${request.dueDate} to ${due}.`, {
      changed: true,
      record: () => {
        setDueDate(db, request.id, due, deps.now());
        queueRecordUpdate(db, deps.config, request.id, { event: 'extended', from: request.dueDate, to: due, by: command.sender ?? payload.answerTo ?? '' }, deps.now());
      },
    });
  }

  return {
    async run(job) {
      const payload = payloadOf(job.payload);
      const command = findReplyCommand(db, { id: payload.reply });
      if (!command) throw new SignrelayError('permanent', 'reply_unknown', `reply command ${payload.reply} does not exist`);
      if (command.doneAt !== null) return;
      const request = getRequest(db, job.requestId!);
      if (!request) throw new SignrelayError('permanent', 'request_unknown', `request ${job.requestId} does not exist`);
      if (command.command === 'remind') await remind(command, request, payload);
      else if (command.command === 'extend') await extend(command, request, payload);
      else if (command.command === 'status') await status(command, request, payload);
      else throw new SignrelayError('permanent', 'reply_command_unknown', `reply command ${command.id} is "${command.command}": not one a job carries out`);
    },
    onGiveUp(job, reason) {
      const payload = payloadOf(job.payload);
      const command = findReplyCommand(db, { id: payload.reply });
      const request = job.requestId ? getRequest(db, job.requestId) : undefined;
      if (!command || !request || command.doneAt !== null) return;
      // A request of several documents may have had some reminded or moved before the provider refused one.
      const kind = command.command === 'remind' ? 'reminder' : command.command === 'extend' ? 'extend' : undefined;
      const effects = kind ? documentEffects(request, kind, command) : [];
      const done = effects.filter((e) => e.phase === 'done').length;
      // A call whose answer was lost may have been carried out: said so, not counted as not done.
      const unknown = effects.filter((e) => e.phase === 'intent').length;
      const name = deps.provider.displayName;
      const why = `signrelay could not ask ${name} (${recordValue(reason)})`;
      const maybe = unknown === 0 ? '' : ` For ${unknown} of them it is not known whether ${name} did it (its answer was lost); it is not asked again.`;
      const said = done === 0 && unknown === 0 ? `${why}, so nothing was done: try again later.`
        : kind === 'reminder' ? `${name} reminded the signers of ${done} of the request's ${effects.length} documents; for the others ${why}.${maybe} Try again later.`
          : `${name} moved the due date to ${command.argument} for ${done} of the request's ${effects.length} documents; for the others ${why}.${maybe} signrelay keeps ${request.dueDate} as the request's due date: try again later.`;
      finish(command, request, payload, said, { changed: done > 0 || unknown > 0 });
      deps.logger.warn('reply command given up', { requestId: request.id, command: command.command, reason });
    },
  };
}

/** The same lines as reconciliation's notes (signer-progress.ts), as one sentence: "Ann Lee's invitation signed, 1 of 2; Bob Stone has not signed yet." */
function progressSentence(signers: RequestRow['signers'], statuses: DocumentStatus[]): string {
  const lines = describeSignerProgress(signers, statuses);
  return lines.length === 0 ? 'The request names no signers.' : `${lines.join('; ')}.`;
}
