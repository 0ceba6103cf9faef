// One audit event as a line of a request's timeline (`signrelay show`): what happened, in
// words, and the rest of its detail. Pure.
import type { EventRow } from '../store/events.ts';
import { isPurgeNote } from '../store/retention.ts';
import { authenticationWords, requestMailIn } from '../store/request-mail-event.ts';
import { operatorCommand } from '../service-unit.ts';

export interface TimelineLine {
  at: string;
  what: string;
  detail: string;
}

/** Detail fields already said in `what`. */
const SAID = new Set(['effect', 'phase', 'reason', 'sent', 'received', 'bounced']);

function rest(detail: Record<string, unknown> | undefined): string {
  if (!detail) return '';
  return Object.entries(detail)
    .filter(([k, v]) => !SAID.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function describeEvent(event: EventRow): TimelineLine {
  const d = event.detail ?? {};
  const reason = typeof d.reason === 'string' ? `: ${d.reason}` : '';
  let what: string;
  switch (event.kind) {
    case 'transition':
      what = event.fromState ? `${event.fromState} → ${event.toState}${reason}` : `${event.toState}${reason}`;
      break;
    case 'effect':
      what = `${String(d.effect ?? 'effect')} ${String(d.phase ?? '')}`.trim() + reason;
      break;
    case 'mail':
      what = d.sent ? `mail sent (${String(d.sent)})` : d.received ? `mail received (${String(d.received)})`
        : d.bounced ? `mail bounced (${String(d.bounced)})${reason}` : 'mail';
      break;
    default:
      what = `${event.kind}${reason}`;
  }
  // The request mail: who sent it and how intake authenticated them (store/request-mail-event.ts).
  const requestMail = requestMailIn([event]);
  if (requestMail) {
    return { at: event.at, what: 'mail received (request)', detail: `from ${requestMail.from}, ${authenticationWords(requestMail.authenticated)}; Message-ID ${requestMail.messageId ?? 'none'}` };
  }
  // A restore found at a start (alerts/restore-alert.ts), and the operator's release.
  if (event.kind === 'note' && d.held === 'restore') return { at: event.at, what: 'held: the database was found behind this data dir (a restored backup?)', detail: `nothing runs until \`${operatorCommand('release')}\`` };
  if (event.kind === 'note' && d.released === 'restore') return { at: event.at, what: 'released by an operator after a restore', detail: '' };
  // Retention's purge says in words what it did: a list of hashes did not (lifecycle review L4).
  if (isPurgeNote(event)) {
    const deleted = Array.isArray(d.deleted) ? d.deleted.length : 0;
    const kept = Array.isArray(d.kept) ? d.kept.length : 0;
    what = `files deleted by retention after ${String(d.retentionDays)} days (${deleted}${kept ? `; ${kept} kept for another request` : ''})`;
    return { at: event.at, what, detail: 'the PDFs can no longer be sent or delivered' };
  }
  return { at: event.at, what, detail: rest(d) };
}
