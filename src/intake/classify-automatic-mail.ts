// RFC 3834 and friends: is this mail from a machine, and may it be processed or answered?
// Two tiers, because ServiceNow notifications — a main source of requests — carry
// `Auto-Submitted: auto-generated` and `Precedence: bulk`:
// - ignore: bounces, delivery/read reports, auto-replies, mailing lists, our own mail.
//   Never processed, never answered (answering them is how mail loops start).
// - no-reply: machine-generated but possibly a real request (notification systems, bulk
//   senders). Processed; a rejection is logged and moved, never mailed back.
import type { ParsedMail } from 'mailparser';
import { addressesOf, addressParts, bareAddress, hasHeader, rawHeaderValues, sameMailbox } from '../message/mail-headers.ts';

export type AutomaticMail = { kind: 'ignore' | 'no-reply'; reason: string };

type ClassifiedMail = Pick<ParsedMail, 'headerLines' | 'headers' | 'from' | 'attachments'>;

/** Part types that only delivery systems send (DSN, MDN, ARF abuse reports). */
const REPORT_PART_TYPES = ['message/delivery-status', 'message/disposition-notification', 'message/feedback-report'];
const DAEMON_LOCAL_PARTS = ['mailer-daemon', 'postmaster'];
const LIST_HEADERS = ['list-id', 'list-post', 'mailing-list'];

export function classifyAutomaticMail(mail: ClassifiedMail, ownAddresses: string[], requestAddress: string): AutomaticMail | null {
  return ignoreReason(mail, ownAddresses, requestAddress) ?? noReplyReason(mail);
}

function ignoreReason(mail: ClassifiedMail, ownAddresses: string[], requestAddress: string): AutomaticMail | null {
  const ignore = (reason: string): AutomaticMail => ({ kind: 'ignore', reason });
  if (hasHeader(mail, 'x-signrelay')) return ignore('signrelay\'s own mail (X-Signrelay header)');

  const from = addressesOf(mail.from);
  const own = from.find((a) => [requestAddress, ...ownAddresses.map(bareAddress)].some((o) => sameMailbox(a, o)));
  if (own) return ignore(`mail from signrelay's own address ${own}`);

  const contentType = mail.headers?.get('content-type');
  const rootType = typeof contentType === 'object' && contentType !== null && 'value' in contentType ? String(contentType.value).toLowerCase() : '';
  if (rootType === 'multipart/report') return ignore('a delivery or read report (multipart/report)');
  const reportPart = (mail.attachments ?? []).find((a) => REPORT_PART_TYPES.includes(a.contentType.toLowerCase()));
  if (reportPart) return ignore(`a delivery or read report (${reportPart.contentType} part)`);

  if (rawHeaderValues(mail, 'return-path').some((v) => v.replace(/[<>\s]/g, '') === '')) {
    return ignore('null return path (Return-Path: <>): a bounce or other automatic notice');
  }
  const returnPaths = rawHeaderValues(mail, 'return-path').map(bareAddress);
  const daemon = [...from, ...returnPaths].find((a) => DAEMON_LOCAL_PARTS.includes(addressParts(a)?.base ?? a.toLowerCase()));
  if (daemon) return ignore(`mail from a mail system (${daemon})`);

  for (const value of rawHeaderValues(mail, 'auto-submitted')) {
    const keyword = autoSubmittedKeyword(value);
    if (keyword === 'auto-replied' || keyword === 'auto-notified') return ignore(`an automatic reply (Auto-Submitted: ${keyword})`);
  }
  for (const name of ['x-autoreply', 'x-autorespond']) {
    if (hasHeader(mail, name)) return ignore(`an automatic reply (${name} header)`);
  }

  const list = LIST_HEADERS.find((name) => hasHeader(mail, name));
  if (list) return ignore(`mailing-list mail (${list} header)`);
  const precedence = rawHeaderValues(mail, 'precedence').map((v) => v.toLowerCase());
  const listy = precedence.find((v) => v === 'list' || v === 'junk');
  if (listy) return ignore(`mailing-list or junk mail (Precedence: ${listy})`);
  return null;
}

function noReplyReason(mail: ClassifiedMail): AutomaticMail | null {
  const noReply = (reason: string): AutomaticMail => ({ kind: 'no-reply', reason });
  for (const value of rawHeaderValues(mail, 'auto-submitted')) {
    const keyword = autoSubmittedKeyword(value);
    if (keyword !== 'no') return noReply(`machine-generated mail (Auto-Submitted: ${keyword})`);
  }
  if (rawHeaderValues(mail, 'precedence').some((v) => v.toLowerCase() === 'bulk')) return noReply('bulk mail (Precedence: bulk)');
  if (hasHeader(mail, 'x-auto-response-suppress')) return noReply('the sender asked for no automatic replies (X-Auto-Response-Suppress)');
  // Without List-Id (handled above) this is a notification system or a bulk sender, not a list.
  if (hasHeader(mail, 'list-unsubscribe')) return noReply('bulk mail (List-Unsubscribe)');
  return null;
}

/** `auto-replied; owner-email="x@y" (comment)` → `auto-replied`. */
function autoSubmittedKeyword(value: string): string {
  return value.replace(/\([^)]*\)/g, '').split(';')[0]!.trim().toLowerCase();
}
