// Operator alerts: always an audit event and a log line; a mail to `alerts.to` at most once
// per kind within `alerts.min_interval_minutes` (the next one says how many were held
// back), so an outage does not flood the operators' inbox. Alerts held back are mailed as
// one summary once the interval ends (sendHeldAlerts, the scheduler's `alerts` task), not
// only when another alert of their kind comes: a junk mail's alert must not keep the
// operators from hearing of the completion that followed it.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { addEvent } from '../store/events.ts';
import { enqueueMail } from '../jobs/send-mail.ts';
import type { Db } from '../store/open-database.ts';
import { utcMinute } from '../time.ts';
import { operatorCommand, serviceUnit } from '../service-unit.ts';

/**
 * `credentials`: a service refused signrelay's credentials or tokens for good (an operator must supply new ones).
 * `replies`: rejection replies to one address hit limits.max_replies_per_hour (a flood, perhaps forged).
 * `record`: the instance refused a work note or the status field for good (a permission to grant).
 * `credential-age`: a secret is unchanged for longer than credentials.max_age_days (once per value; a kind of its own so a lockout's alert never holds it back).
 * `bounced`: the signed document mailed to the instance came back (intake/process-bounce.ts): the record does not have it.
 * `mailbox-shared`: a mail was gone when a watcher filed it — another program takes mail from its folder.
 * `mailbox-full`: an IMAP account at 80 % of its quota or more, or its server refused to file a mail for the quota (mailbox-full-alert.ts): request mails bounce.
 * `sender-limit`: a sender reached limits.max_requests_per_sender_per_day.
 * `restored`: the database was found behind this data dir's history at a start (restore-alert.ts): requests held.
 */
export type AlertKind = 'unmatched' | 'undeliverable' | 'declined' | 'provider' | 'unprocessable' | 'credentials' | 'replies' | 'record' | 'credential-age' | 'certificate' | 'bounced' | 'mailbox-shared' | 'mailbox-full' | 'sender-limit' | 'restored';

export interface Alert {
  kind: AlertKind;
  requestId?: string | null;
  subject: string;
  text: string;
}

export interface AlertDeps {
  db: Db;
  config: Config;
  logger: Logger;
  now: () => Date;
}

/** Records the alert and queues its mail when due. Returns whether a mail was queued. */
export function raiseAlert(deps: AlertDeps, alert: Alert): boolean {
  const { db, config } = deps;
  const at = deps.now();
  return db.transaction(() => {
    const state = alertState(db, alert.kind, at);
    addEvent(db, { requestId: alert.requestId ?? null, kind: 'note', detail: { alert: alert.kind, subject: alert.subject, text: alert.text } }, at);
    deps.logger.warn('operator alert', { alert: alert.kind, requestId: alert.requestId ?? undefined, subject: alert.subject });
    if (config.alerts.to.length === 0) return false;
    if (heldUntil(state, config, at)) {
      db.prepare('UPDATE alert_state SET suppressed = suppressed + 1 WHERE kind = ?').run(alert.kind);
      return false;
    }
    const held = state?.suppressed ?? 0;
    const footer = held > 0 ? `\n\n${held} more alert(s) of this kind were held back since the last mail; see the audit trail.` : '';
    queueAlertMail(db, config, alert.kind, { requestId: alert.requestId ?? null, subject: alert.subject, text: `${alert.text}${footer}` }, at);
    return true;
  })();
}

/**
 * When the next mail of this kind may go — alerts.min_interval_minutes after the last one —
 * or null when it may go at `at`. For a caller that would rather wait and raise its alert
 * then than have it counted as held back (the credential review: the same alert, later).
 */
export function alertMailHeldUntil(deps: Pick<AlertDeps, 'db' | 'config'>, kind: AlertKind, at: Date): Date | null {
  return heldUntil(alertState(deps.db, kind, at), deps.config, at);
}

interface AlertState {
  last_sent_at: string;
  suppressed: number;
}

/**
 * The kind's state at `at`. A last mail later than `at` means the wall clock was stepped
 * back since: it is taken as sent at `at`, so the interval ends one interval from now rather
 * than after the step as well (held alerts would wait that long).
 */
function alertState(db: Db, kind: AlertKind, at: Date): AlertState | undefined {
  db.prepare('UPDATE alert_state SET last_sent_at = ? WHERE kind = ? AND last_sent_at > ?')
    .run(at.toISOString(), kind, at.toISOString());
  return db.prepare('SELECT last_sent_at, suppressed FROM alert_state WHERE kind = ?').get(kind) as AlertState | undefined;
}

function heldUntil(state: AlertState | undefined, config: Config, at: Date): Date | null {
  if (!state) return null;
  const until = Date.parse(state.last_sent_at) + config.alerts.min_interval_minutes * 60_000;
  return until > at.getTime() ? new Date(until) : null;
}

/** How many held-back alerts a summary lists by subject (the rest are counted). */
const MAX_LISTED_HELD = 20;

/** Whether an alert of this kind and subject was raised since `since` (one alert per episode, not one per mail of a flood). */
export function alertRaisedSince(db: Db, kind: AlertKind, subject: string, since: Date): boolean {
  return db.prepare(`SELECT 1 FROM events WHERE kind = 'note' AND at >= ? AND json_extract(detail, '$.alert') = ? AND json_extract(detail, '$.subject') = ? LIMIT 1`)
    .get(since.toISOString(), kind, subject) !== undefined;
}

/**
 * Mails one summary per kind whose alerts were held back and whose interval has ended:
 * their subjects, from the audit trail. Returns how many summaries were queued.
 */
export function sendHeldAlerts(deps: AlertDeps): number {
  const { db, config } = deps;
  if (config.alerts.to.length === 0) return 0;
  const at = deps.now();
  const kinds = db.prepare('SELECT kind FROM alert_state WHERE suppressed > 0').pluck().all() as AlertKind[];
  let queued = 0;
  for (const kind of kinds) {
    const state = alertState(db, kind, at)!;
    if (heldUntil(state, config, at)) continue;
    db.transaction(() => {
      // The held alerts are the kind's last `suppressed` notes, in the order they came.
      const subjects = (db.prepare(`SELECT subject FROM (SELECT id, json_extract(detail, '$.subject') AS subject FROM events
          WHERE kind = 'note' AND json_extract(detail, '$.alert') = ? ORDER BY id DESC LIMIT ?) ORDER BY id LIMIT ?`)
        .all(kind, state.suppressed, MAX_LISTED_HELD) as Array<{ subject: string | null }>).map((r) => `- ${r.subject ?? '(no subject)'}`);
      const more = state.suppressed > subjects.length ? `\n- and ${state.suppressed - subjects.length} more` : '';
      queueAlertMail(db, config, kind, {
        requestId: null,
        subject: `${state.suppressed} ${kind} alert(s) held back since ${utcMinute(state.last_sent_at)}`,
        text: `These alerts were not mailed, as alerts.min_interval_minutes had not passed since the last one of their kind:\n\n${subjects.join('\n')}${more}\n\nEach is in the audit trail (${operatorCommand('show ID')}, or the log).`,
      }, at);
    })();
    deps.logger.info('held-back alerts mailed as one summary', { alert: kind, held: state.suppressed });
    queued++;
  }
  return queued;
}

/** An alert's mail, queued, and the kind's interval started again from `at` (none held back since). */
function queueAlertMail(db: Db, config: Config, kind: AlertKind, mail: { requestId: string | null; subject: string; text: string }, at: Date): void {
  db.prepare(`INSERT INTO alert_state (kind, last_sent_at, suppressed) VALUES (?, ?, 0)
    ON CONFLICT(kind) DO UPDATE SET last_sent_at = excluded.last_sent_at, suppressed = 0`).run(kind, at.toISOString());
  enqueueMail(db, {
    requestId: mail.requestId, purpose: 'alert',
    message: {
      from: config.smtp.from, to: config.alerts.to, subject: `[${serviceUnit()}] ${mail.subject}`,
      text: `${mail.text}\n`, headers: { 'Auto-Submitted': 'auto-generated', 'X-Signrelay': 'alert' },
    },
  }, at);
}
