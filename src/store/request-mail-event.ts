// The request mail in a request's audit trail: its Message-ID, who it was from, and how that
// sender was authenticated at intake — which method passed, for which domain, as which
// authserv-id (the border MTA) reported it — or that nothing was required. Written in the
// transaction that inserts the request (intake/process-request-mail.ts); read by `show`, the
// `sent` work note, and the reply commands (its sender may act, conversation/). The verdict was computed and thrown away, so months later "how do you
// know she sent it?" had only a From address to answer with (audit review M1).
import { addEvent, type EventRow } from './events.ts';
import type { Db } from './open-database.ts';

/** One required method that passed: its name, the domain (aligned with From's), the authserv-id that said so. */
export interface PassedMethod {
  method: string;
  domain: string;
  authservId: string;
}

export interface RequestMail {
  received: 'request';
  messageId: string | null;
  /** The From address, whose domain the methods vouch for (the requester may be its Reply-To). */
  from: string;
  /** What vouched for it, or that no setting asked for authentication. */
  authenticated: PassedMethod[] | 'not required';
  /** The setting that asked for it (`intake.authentication.require`, `routes.NAME.require_authentication`). */
  required?: string;
  /** The mail's attachments that were not sent for signing (not PDFs): "a.docx and 2 more". */
  notDocuments?: string;
}

export function addRequestMailEvent(db: Db, requestId: string, mail: Omit<RequestMail, 'received'>, now: Date): void {
  addEvent(db, { requestId, kind: 'mail', detail: { received: 'request', ...mail } }, now);
}

/** The request mail's event among a request's events, if it was recorded (requests accepted before 2026-12-06 have none). */
export function requestMailIn(events: readonly EventRow[]): RequestMail | undefined {
  return events.filter((e) => e.kind === 'mail').map((e) => asRequestMail(e.detail)).find((mail) => mail !== undefined);
}

export function requestMailOf(db: Db, requestId: string): RequestMail | undefined {
  const row = db.prepare("SELECT detail FROM events WHERE request_id = ? AND kind = 'mail' AND json_extract(detail, '$.received') = 'request' ORDER BY id LIMIT 1")
    .get(requestId) as { detail: string } | undefined;
  return row ? asRequestMail(JSON.parse(row.detail) as Record<string, unknown>) : undefined;
}

/** A mail event's detail, when it is a request mail's. */
function asRequestMail(detail: Record<string, unknown> | undefined): RequestMail | undefined {
  return detail?.received === 'request' && typeof detail.from === 'string' ? detail as unknown as RequestMail : undefined;
}

/**
 * In words: "DKIM pass for corp.example (authserv-id mx.corp.example)", several joined by
 * "and"; "not checked: no authentication was required". The domain and the authserv-id are the
 * mail's (a trusted header's, but the sender's side wrote them): `value` makes each safe for
 * where the words go.
 */
export function authenticationWords(authenticated: RequestMail['authenticated'], value: (text: string) => string = (text) => text): string {
  if (authenticated === 'not required') return 'not checked: no authentication was required';
  return authenticated.map((m) => `${value(m.method.toUpperCase())} pass for ${value(m.domain)} (authserv-id ${value(m.authservId)})`).join(' and ');
}
