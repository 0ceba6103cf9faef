// The request mailbox's replies to acknowledgements: a mail sent to an acknowledgement's reply
// address (sign+SECRET@…), or whose In-Reply-To/References name an acknowledgement, an
// answer or a notice (References alone: only from a sender who may act on that request), is a reply; so, to be filed and never taken for a request, is a mail to a request's
// token address (sign+TOKEN@…, no reply: decide-reply.ts). Every other mail goes on to
// request intake unchanged. One reply, one
// committed outcome: the reply's row (keyed on its Message-ID, else a hash of what its writer wrote)
// is written in the ONE transaction that queues what the command does and the answer, and
// files the mail — so a copy of the reply, or the same mail seen again after a crash, finds
// it and does nothing twice. Only then does the watcher move the mail.
import type { ParsedMail } from 'mailparser';
import type { Config } from '../config/schema.ts';
import { replyKeys } from '../intake/conversation-address.ts';
import { bareAddress, messageIdList } from '../message/mail-headers.ts';
import { REQUESTS_MAILBOX } from '../intake/process-request-mail.ts';
import type { IntakePolicy } from '../intake/types.ts';
import type { Logger } from '../log.ts';
import type { WatchedMessage, MessageOutcome as WatcherOutcome } from '../mail/imap-watcher.ts';
import { readRequestMail } from '../message/read-request-mail.ts';
import type { ProviderTraits } from '../providers/provider.ts';
import { sha256 } from '../store/blobs.ts';
import { findReplyCommand, finishReplyCommand, recordReplyCommand, requestOfMessageIds, requestOfReplySecret } from '../store/conversation.ts';
import { addEvent } from '../store/events.ts';
import { enqueueJob } from '../store/jobs.ts';
import { findMessage, recordMessage } from '../store/messages.ts';
import type { Db } from '../store/open-database.ts';
import { requestMailOf } from '../store/request-mail-event.ts';
import { getRequest, getRequestByToken, type RequestRow } from '../store/requests.ts';
import { decideReply, mayActOn, type RepliedRequest, type ReplyDecision, type ReplyMail } from './decide-reply.ts';
import { mailFacts, type FactsMail } from '../intake/mail-facts.ts';
import { heldBackReason, queueAnswer, replyAnswerHeldBack } from './queue-answer.ts';

export interface ReplyDeps {
  db: Db;
  config: Config;
  policy: IntakePolicy;
  provider: ProviderTraits;
  logger: Logger;
  now?: () => Date;
  jobsQueued?: () => void;
}

export type MailHandler = (message: WatchedMessage) => Promise<WatcherOutcome>;

/** Wraps the request mailbox's handler: replies are taken here, everything else is handed on. */
export function withReplyCommands(deps: ReplyDeps, requests: MailHandler): MailHandler {
  const now = deps.now ?? (() => new Date());
  const folders = deps.config.mailboxes.requests;
  return async (message) => {
    // Seen before: the request handler moves it where its outcome said.
    if (findMessage(deps.db, keyOf(message))) return requests(message);
    // A mail the parser will not read (a header block past mailparser's 1 MB, say) is nobody's
    // reply: the request handler files it as unreadable, unanswered — not a failure to retry
    // and give up on with an operator alert, which any stranger could raise at will.
    const head = await readRequestMail(await message.fetchHeaders()).catch(() => undefined);
    const found = head && findReply(deps.db, head, deps.policy, deps.config.mailboxes.requests.address);
    if (!found) return requests(message);
    // The text parts without the attachments' bytes: a command is read from the text alone.
    const outline = await message.fetchOutline();
    const mail = await readRequestMail(outline).catch(() => undefined);
    if (!mail) return requests(message);
    const mailKey = replyMailKey(mail);
    return commit(message, mail, mailKey, found);
  };

  function commit(message: WatchedMessage, mail: ReplyMail, mailKey: string, found: RepliedRequest): WatcherOutcome {
    const at = now();
    const log = deps.logger.child({ mailbox: REQUESTS_MAILBOX, uid: message.uid, requestId: found.request?.id });
    let decision!: ReplyDecision;
    const outcome = deps.db.transaction((): { folder: string; duplicate: boolean; reason: string } => {
      // Decided on the request as it is now: the IMAP fetches above gave a completion time to commit.
      const request = found.request ? getRequest(deps.db, found.request.id) : undefined;
      decision = decideReply(mail, { ...found, request }, deps.policy, deps.provider, at);
      const folder = decision.action === 'ignore' ? folders.rejected_folder : folders.processed_folder;
      const earlier = findReplyCommand(deps.db, { mailKey });
      if (earlier) {
        const firstFolder = earlier.outcome === 'ignored' ? folders.rejected_folder : folders.processed_folder;
        recordMessage(deps.db, { ...keyOf(message), messageId: mailKey, outcome: 'duplicate', reason: `same reply (${mailKey}) as the one of ${earlier.createdAt}: nothing done again`, folder: firstFolder, requestId: earlier.requestId }, at);
        return { folder: firstFolder, duplicate: true, reason: earlier.reason };
      }
      // A command that may change something keeps its answer: the job answers with what it did,
      // and that answer is never held back (queue-answer.ts) — a cancel carried out in silence
      // left the requester unable to tell whether it worked (conversation review M3). A `status`
      // whose answer is held back is not carried out: a provider read and a work note for an
      // answer nobody gets (fifty replies, fifty notes; conversation review L4).
      const heldBack = replyAnswerHeldBack(deps.db, deps.config, decision, at);
      const idle = heldBack && decision.action === 'carry-out';
      const reason = heldBack ? heldBackReason(deps.config, decision) : decision.reason;
      const answerTo = heldBack ? null : decision.answerTo;
      const outcomeOf = { 'carry-out': 'queued', answer: 'refused', ignore: 'ignored' } as const;
      const argument = decision.command.name === 'cancel' ? decision.command.reason : decision.due ?? null;
      const id = recordReplyCommand(deps.db, {
        mailKey, requestId: request?.id ?? null, sender: decision.sender, command: decision.command.name, argument,
        outcome: idle ? 'refused' : outcomeOf[decision.action], reason, answerTo, answerMessageId: null,
      }, at)!;
      if (request && idle) finishReplyCommand(deps.db, id, null, at);
      else if (request && decision.action !== 'ignore') carryOut(id, mail, request, decision, answerTo, at);
      recordMessage(deps.db, { ...keyOf(message), messageId: mailKey, outcome: decision.action === 'ignore' ? 'rejected' : 'reply', reason, folder, requestId: request?.id ?? null }, at);
      return { folder, duplicate: false, reason };
    })();
    if (outcome.duplicate) {
      log.info('duplicate reply: nothing done again', { messageId: mailKey });
    } else if (decision.action === 'ignore') {
      log.warn('reply not acted on and not answered', { reason: outcome.reason, sender: decision.sender });
    } else {
      log.info('reply command', { command: decision.command.name, action: decision.action, sender: decision.sender });
      deps.jobsQueued?.();
    }
    return { moveTo: outcome.folder };
  }

  /** Inside the reply's transaction: the command's jobs and, where it is answered at once, its answer. */
  function carryOut(id: number, mail: ReplyMail, request: RequestRow, decision: ReplyDecision, answerTo: string | null, at: Date): void {
    const reply = { subject: mail.subject ?? null, messageId: mail.messageId ?? null, references: messageIdList(mail.references) };
    const answer = (said: string, withHelp: boolean) => {
      const messageId = answerTo === null ? null : queueAnswer(deps.db, deps.config, deps.provider, request, { reply, to: answerTo, said, withHelp }, at);
      finishReplyCommand(deps.db, id, messageId, at);
    };
    if (decision.action === 'answer') return answer(decision.answer!, true);
    const { command } = decision;
    const answerLater = { reply: id, answerTo, subject: reply.subject, messageId: reply.messageId, references: reply.references };
    if (command.name === 'cancel') {
      // The operator's cancel job (cancel-request.ts) withdraws it; `by` words the note, `answered` spares a second mail.
      // It answers in the transaction of what really happened (answer-cancel.ts): withdrawn, or what the request became first.
      enqueueJob(deps.db, { kind: 'cancel', requestId: request.id, payload: { reason: command.reason, by: decision.sender, answered: answerTo !== null, ...answerLater } }, at);
      addEvent(deps.db, { requestId: request.id, kind: 'note', detail: { cancelRequested: true, by: decision.sender, reply: id, ...(command.reason ? { reason: command.reason } : {}) } }, at);
      return;
    }
    // remind, extend, status: the provider is asked by a job, which answers with what it learnt.
    enqueueJob(deps.db, { kind: 'command', requestId: request.id, payload: answerLater }, at);
  }
}

/**
 * The request a mail in the request mailbox replies to, as the daemon and `explain` take it:
 * findRepliedRequest's, except a mail to the plain request address that names an
 * acknowledgement or answer only among its References — not in In-Reply-To — from a sender
 * who may not act on that request. That is no reply to signrelay but a mail in a thread that
 * once held one (a colleague's new request from the forwarded acknowledgement: Gmail and
 * Thunderbird keep the thread in References): request intake takes it, applies the
 * allow-list and answers. It was filed in Rejected, unanswered (conversation review M4).
 */
export function findReply(db: Db, mail: Parameters<typeof replyKeys>[0] & FactsMail, policy: IntakePolicy, requestAddress: string): RepliedRequest | undefined {
  const found = findRepliedRequest(db, mail, requestAddress);
  if (!found?.referencesOnly || !found.request) return found;
  const sender = mailFacts(mail).sender;
  return sender !== null && mayActOn(found.request, sender, policy, found.sentBy) ? found : undefined;
}

/**
 * The request a mail replies to: by the reply secret of its address, else by the
 * acknowledgement, answer or notice its In-Reply-To/References name — never by the request token,
 * which every signer sees: a mail to sign+TOKEN@ is found as `via: 'token'` only to be
 * filed (never a request, never a command).
 */
export function findRepliedRequest(db: Db, mail: Parameters<typeof replyKeys>[0], requestAddress: string): RepliedRequest | undefined {
  const keys = replyKeys(mail, requestAddress);
  for (const secret of keys.secrets) {
    const requestId = requestOfReplySecret(db, secret);
    if (requestId) return { ...requestAndSender(db, requestId), via: 'secret', by: 'the reply secret in its address (the acknowledgement\'s Reply-To)' };
  }
  const requestId = requestOfMessageIds(db, keys.messageIds);
  if (requestId) {
    // Sent to the plain request address, and In-Reply-To names none of ours: found by References alone.
    const referencesOnly = keys.secrets.length === 0 && keys.tokens.length === 0 && (mail.inReplyTo === undefined || requestOfMessageIds(db, [mail.inReplyTo]) === undefined);
    return { ...requestAndSender(db, requestId), via: 'message-id', by: `${referencesOnly ? 'References' : 'In-Reply-To/References'} naming the acknowledgement, an answer or a notice`, ...(referencesOnly ? { referencesOnly } : {}) };
  }
  // Written to a reply address that no acknowledgement has: a reply still, never a request.
  if (keys.secrets.length > 0) return { request: undefined, via: 'secret', by: 'a reply secret in its address that no acknowledgement has' };
  if (keys.tokens.length > 0) return { request: getRequestByToken(db, keys.tokens[0]!), via: 'token', by: `the request token in its address (${keys.tokens[0]})` };
  return undefined;
}

/** The request, and who sent its request mail when that was not the requester (its Reply-To was). */
function requestAndSender(db: Db, requestId: string): Pick<RepliedRequest, 'request' | 'sentBy'> {
  const request = getRequest(db, requestId);
  const from = request ? requestMailOf(db, request.id)?.from : undefined;
  return from !== undefined && request && bareAddress(from) !== bareAddress(request.requester) ? { request, sentBy: from } : { request };
}

/** The key a reply is recorded under (its row in reply_commands): its Message-ID, else what its writer wrote. */
export function replyMailKey(mail: ReplyKeyFields): string {
  return mail.messageId ?? contentKey(mail);
}

type ReplyKeyFields = Pick<ParsedMail, 'messageId' | 'from' | 'to' | 'cc' | 'headerLines' | 'subject' | 'text'>;

/**
 * A reply without a Message-ID is known by what its writer wrote — From, To, Cc, Date,
 * Subject and the text above any quote — never by the fetched bytes: a copy delivered twice
 * differs in its Received/Delivered-To lines, and a multipart outline in its boundary. The
 * Date header as written: mailparser puts the moment of parsing in for one it cannot read
 * (`… CEST`), and every copy would have had a key of its own, each carried out.
 */
function contentKey(mail: ReplyKeyFields): string {
  const ownText = (mail.text ?? '').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('>')).slice(0, 20);
  const date = mail.headerLines.find((header) => header.key === 'date')?.line.replace(/^date:/i, '').replace(/\s+/g, ' ').trim() ?? '';
  const fields = [mail.from?.text ?? '', addressText(mail.to), addressText(mail.cc), date, mail.subject ?? '', ...ownText];
  return `<sha256.${sha256(Buffer.from(JSON.stringify(fields)))}@signrelay.invalid>`;
}

function addressText(field: ParsedMail['to']): string {
  return field === undefined ? '' : (Array.isArray(field) ? field : [field]).map((a) => a.text).join(', ');
}

function keyOf(message: WatchedMessage) {
  return { mailbox: REQUESTS_MAILBOX, place: message.place, uid: message.uid };
}
