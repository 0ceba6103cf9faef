// The answer to a `cancel` reply, given by the cancel job (completion/cancel-request.ts) in the
// transaction of what really happened — never before: the request is `cancelled` (answered
// in the transition's transaction), it could no longer be cancelled when the job ran (a
// completion won the race: the answer says what it became), or the job gave up. The reply's
// row is finished with the answer, so a retry of the job answers nothing twice.
import type { CancelOutcome } from '../completion/cancel-request.ts';
import type { Config } from '../config/schema.ts';
import type { ProviderTraits } from '../providers/provider.ts';
import { MAX_RECORD_REASON_CHARS, recordValue } from '../servicenow/record-text.ts';
import { findReplyCommand, finishReplyCommand } from '../store/conversation.ts';
import type { Db } from '../store/open-database.ts';
import type { RequestRow } from '../store/requests.ts';
import { payloadOf } from './carry-out-command.ts';
import { stateWords } from './decide-reply.ts';
import { queueAnswer } from './queue-answer.ts';
import { everyOpenWithdrawn, withdrawalSentences } from '../notices/withdrawal-words.ts';

const ENDED_WORDS: Partial<Record<string, string>> = { completed: 'every signer had signed', declined: 'a signer declined', expired: 'it expired', rejected: 'it was rejected' };

/** Call inside the transaction that records the outcome; does nothing for an operator's cancel or a reply answered already. */
export type AnswerCancelReply = (payload: Record<string, unknown>, request: RequestRow, outcome: CancelOutcome, now: Date) => void;

function prefixed(sentences: string): string {
  return sentences ? ` ${sentences}` : '';
}

export function cancelReplyAnswerer(db: Db, config: Config, provider: Pick<ProviderTraits, 'displayName' | 'capabilities'>): AnswerCancelReply {
  return (raw, request, outcome, now) => {
    if (raw.reply === undefined) return;
    const payload = payloadOf(raw);
    const command = findReplyCommand(db, { id: payload.reply });
    if (!command || command.doneAt !== null) return;
    const said = recordValue(command.argument, MAX_RECORD_REASON_CHARS);
    // Answered once the withdrawals are done: "can no longer sign" only when every document still out was withdrawn.
    const text = 'cancelled' in outcome
      ? (everyOpenWithdrawn(outcome.documents)
        ? `Request ${request.id} is withdrawn: ${provider.displayName} withdrew it, so the signers can no longer sign ${outcome.documents.signed.length > 0 ? 'what was still open' : 'it'}${outcome.noted ? ', and the record gets a note' : ''}.`
        : `Request ${request.id} is cancelled: nothing will be attached to the record${outcome.noted ? ', and the record gets a note' : ''}.`)
        + `${prefixed(withdrawalSentences(outcome.documents, provider.displayName, 'cancelled'))}${said ? ` Your reason: "${said}".` : ''}`
      : 'notCancellable' in outcome
        ? `Request ${request.id} could not be withdrawn: ${stateWords(request.state)}. Nothing was changed.`
        : 'ended' in outcome
          ? `Request ${request.id} could not be withdrawn: its signing had ended at ${provider.displayName} already (${ENDED_WORDS[outcome.ended] ?? outcome.ended}). Nothing was withdrawn${outcome.ended === 'completed' ? ': the signed document goes to the record' : ''}.`
          : `signrelay could not withdraw request ${request.id} (${recordValue(outcome.gaveUp)}); the signrelay administrators see it among the failed jobs.`;
    const messageId = payload.answerTo === null ? null
      : queueAnswer(db, config, provider, request, { reply: payload.replyMail, to: payload.answerTo, said: text, withHelp: false, changed: 'cancelled' in outcome }, now);
    finishReplyCommand(db, command.id, messageId, now);
  };
}
