// Bounces of signrelay's own mail. Every mail signrelay sends has the request mailbox as its
// envelope sender, so a delivery status notification (DSN) comes back here. A bounce that
// names, by the Message-ID its quoted header carries, a mail signrelay recorded sending
// (store/sent-mails.ts) is taken here, before replies and requests; any other mail — a
// bounce of someone else's mail, a forged one naming no mail of ours — goes on, and intake
// files it unanswered as before. What a bounce does, once per sent mail (the first one
// that says it failed; a second bounce, forged or not, of the same mail changes nothing):
// - of the signed document mailed to the instance (delivery: email): the latest attempt of
//   a `delivered` request → the delivery recorded as failed, the request `failed` (so
//   `signrelay retry` mails it again) and a `bounced` alert naming the record and the reason;
// - of an operator alert: an error in the log and a problem in `status` and /healthz — an
//   alert about the alert channel would only bounce again;
// - of a mail to the requester (a rejection, an acknowledgement, an answer, a notice): a line
//   on the request's trail.
// A bounce is never answered (RFC 3834), and it is filed in Processed with what it did, in
// the one transaction that records it.
import { raiseAlert } from '../alerts/raise-alert.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { WatchedMessage, MessageOutcome as WatcherOutcome } from '../mail/imap-watcher.ts';
import { contentTypeOf } from '../message/mail-headers.ts';
import { mailSystemSender, readBounce, type Bounce } from '../message/read-bounce.ts';
import { readPackedMail } from '../message/read-request-mail.ts';
import { defuseLinks } from '../outside-text.ts';
import { operatorCommand } from '../service-unit.ts';
import { addEvent, listEvents } from '../store/events.ts';
import { isPurgeNote } from '../store/retention.ts';
import { findMessage, findMessageById, recordMessage } from '../store/messages.ts';
import type { Db } from '../store/open-database.ts';
import { getRequest, transition, type RequestRow } from '../store/requests.ts';
import { findSentMail, markBounced, type SentMail } from '../store/sent-mails.ts';
import { READ_IN_PARTS_ABOVE_BYTES, REQUESTS_MAILBOX } from './process-request-mail.ts';

export interface BounceDeps {
  db: Db;
  config: Config;
  logger: Logger;
  now?: () => Date;
  jobsQueued?: () => void;
}

type MailHandler = (message: WatchedMessage) => Promise<WatcherOutcome>;

/** What taking the bounce did: the filing's reason, and the log line written once it is committed. */
interface Taken {
  reason: string;
  log: { level: 'info' | 'warn' | 'error'; text: string };
  alerted: boolean;
}

/** Wraps the request mailbox's handler: a bounce of signrelay's own mail is taken here, every other mail is handed on. */
export function withBounces(deps: BounceDeps, next: MailHandler): MailHandler {
  const now = deps.now ?? (() => new Date());
  const folders = deps.config.mailboxes.requests;
  return async (arrived) => {
    // The handlers after this one read the header block too: downloaded once.
    const message = withHeaderOnce(arrived);
    // Seen before (the request handler moves it where its outcome said), or a copy of a mail filed before.
    if (findMessage(deps.db, keyOf(message))) return next(message);
    if (message.messageId !== null && findMessageById(deps.db, REQUESTS_MAILBOX, message.messageId)) return next(message);
    const head = await readPackedMail(await message.fetchHeaders()).catch(() => undefined);
    if (!head || !mailSystemSender(head)) return next(message);
    // A mail system's text is short: a large mail of one part is nobody's bounce, and is not downloaded for one.
    if (!contentTypeOf(head.headers).type.startsWith('multipart/') && message.size > READ_IN_PARTS_ABOVE_BYTES) return next(message);
    // Its report and the returned mail's header, never the returned mail's attachments (a 20 MB signed PDF).
    const mail = await readPackedMail(await message.fetchOutline({ report: true })).catch(() => undefined);
    const bounce = mail ? readBounce(mail) : null;
    const sent = bounce ? sentMailOf(deps.db, bounce) : undefined;
    if (!bounce || !sent) {
      if (bounce) deps.logger.info('a bounce naming no mail signrelay sent: filed as automatic mail', { uid: message.uid, originals: bounce.originalIds });
      return next(message);
    }
    return commit(message, bounce, sent);
  };

  function commit(message: WatchedMessage, bounce: Bounce, sent: SentMail): WatcherOutcome {
    const at = now();
    const taken = deps.db.transaction((): Taken => {
      const first = bounce.verdict === 'failed' && markBounced(deps.db, sent.messageId, at);
      addEvent(deps.db, {
        requestId: sent.requestId, kind: 'mail',
        detail: {
          bounced: sent.purpose, messageId: sent.messageId, to: sent.recipients, verdict: bounce.verdict, reason: bounce.reason,
          form: bounce.form, dsn: message.messageId, ...(bounce.verdict === 'failed' && !first ? { again: true } : {}),
        },
      }, at);
      const what = describeSent(sent);
      const taken: Taken = !first
        ? { reason: `${what} — ${bounce.verdict === 'failed' ? 'bounced before: nothing changed again' : `a ${bounce.verdict} notice (${bounce.reason}): nothing changed`}`, log: { level: 'info', text: 'a bounce of signrelay\'s mail recorded; nothing changed' }, alerted: false }
        : takeFirstBounce(sent, bounce, what, at);
      recordMessage(deps.db, { ...keyOf(message), messageId: message.messageId, outcome: 'bounce', reason: taken.reason, folder: folders.processed_folder, requestId: sent.requestId }, at);
      return taken;
    })();
    deps.logger[taken.log.level](taken.log.text, { uid: message.uid, purpose: sent.purpose, requestId: sent.requestId ?? undefined, to: sent.recipients, bounce: bounce.reason });
    if (taken.alerted) deps.jobsQueued?.();
    return { moveTo: folders.processed_folder };
  }

  /** The first bounce of a mail that failed: what it means for the mail's purpose. */
  function takeFirstBounce(sent: SentMail, bounce: Bounce, what: string, at: Date): Taken {
    if (sent.purpose === 'alert') {
      return {
        reason: `${what} bounced (${bounce.reason}): the operators did not get it, and alerts.to cannot be told by mail — see ${operatorCommand('status')}`,
        log: { level: 'error', text: `an operator alert to ${sent.recipients} bounced: alerts.to does not take mail, so no alert reaches the operators — fix alerts.to (${bounce.reason})` },
        alerted: false,
      };
    }
    const request = sent.requestId ? getRequest(deps.db, sent.requestId) : undefined;
    if (sent.purpose === 'delivery' && request) return failDelivery(request, sent, bounce, what, at);
    return {
      reason: `${what} bounced (${bounce.reason}): recorded on ${sent.requestId ?? 'no request'}, not answered`,
      log: { level: 'info', text: 'a mail to the requester bounced; recorded on the request' },
      alerted: false,
    };
  }

  /**
   * The signed document's mail came back: the record does not have it. Only the latest
   * attempt of a request still `delivered` fails it — a bounce of an earlier attempt says
   * nothing of the one that came after.
   */
  function failDelivery(request: RequestRow, sent: SentMail, bounce: Bounce, what: string, at: Date): Taken {
    const latest = listEvents(deps.db, request.id)
      .findLast((e) => e.kind === 'effect' && e.detail?.effect === 'inbound-email' && e.detail.phase === 'intent')?.detail?.messageId;
    if (request.state !== 'delivered' || latest !== sent.messageId) {
      return {
        reason: `${what} bounced (${bounce.reason}); the request is ${request.state}${latest !== sent.messageId ? ' and was mailed again since' : ''}: nothing changed`,
        log: { level: 'warn', text: 'an earlier delivery mail to the instance bounced; the request is not changed' },
        alerted: false,
      };
    }
    const record = request.recordNumber ?? 'the record';
    const failure = `the mail with the signed document to ${sent.recipients} bounced: ${bounce.reason}`;
    // A bounce can come days late (mail systems retry for up to five): retention may have
    // deleted the request's files meanwhile, and the retry then has to fetch the copy again.
    const purged = listEvents(deps.db, request.id).some(isPurgeNote);
    const retry = purged
      ? `and run \`${operatorCommand(`retry ${request.id}`)}\`: its files were deleted by retention meanwhile, so it downloads the signed document from the provider again and mails it — if the provider no longer holds it, attach the document to ${record} by hand (the signers have their copies).`
      : `and run \`${operatorCommand(`retry ${request.id}`)}\`: it mails the signed document again. Or attach it to ${record} by hand.`;
    addEvent(deps.db, { requestId: request.id, kind: 'effect', detail: { effect: 'inbound-email', phase: 'failed', bounced: true, messageId: sent.messageId, error: bounce.reason } }, at);
    transition(deps.db, request.id, 'failed', at, { reason: failure });
    raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now: () => at }, {
      kind: 'bounced', requestId: request.id,
      subject: `the signed document of request ${request.id} bounced: ${record} does not have it`,
      text: `The signed document of request ${request.id} was mailed to ${sent.recipients} for ${record} (delivery: email), and the mail came back.\n` +
        `The mail system said: ${defuseLinks(bounce.reason)}\n\n` +
        `${record} does not have the document. The request was delivered and is failed now.\n` +
        `Fix what the bounce says — servicenow.inbound_address, the instance's inbound email, or its size limit (then deliver that route by REST: routes.${request.route}.delivery: rest) — ` +
        `${retry}\n` +
        `The bounce is filed in ${folders.processed_folder}.`,
    });
    return {
      reason: `${what} bounced (${bounce.reason}): request ${request.id} failed, the operators alerted`,
      log: { level: 'warn', text: 'the signed document mailed to the instance bounced; the request is failed and the operators alerted' },
      alerted: true,
    };
  }
}

/**
 * The mail of signrelay's a bounce returns: recorded under a Message-ID it quotes, and of the
 * kind its returned header says (else it is not the mail recorded under that Message-ID).
 * The daemon and `explain` decide alike by it.
 */
export function sentMailOf(db: Db, bounce: Bounce): SentMail | undefined {
  const sent = findSentMail(db, bounce.originalIds);
  return sent && (bounce.signrelayKind === null || bounce.signrelayKind === sent.purpose) ? sent : undefined;
}

/** The bounced mail, for the filing's reason: what it was and for whom. */
function describeSent(sent: SentMail): string {
  const what = sent.purpose === 'delivery' ? 'the signed document mailed to the instance' : `signrelay's ${sent.purpose} mail`;
  return `a bounce of ${what} ${sent.messageId} to ${sent.recipients}${sent.requestId ? ` (request ${sent.requestId})` : ''}`;
}

/** The message, its header block downloaded at most once however many handlers ask for it. */
function withHeaderOnce(message: WatchedMessage): WatchedMessage {
  let header: Promise<Buffer> | undefined;
  return { ...message, fetchHeaders: () => (header ??= message.fetchHeaders()) };
}

function keyOf(message: WatchedMessage) {
  return { mailbox: REQUESTS_MAILBOX, place: message.place, uid: message.uid };
}
