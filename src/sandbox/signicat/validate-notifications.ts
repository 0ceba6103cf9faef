// The notification parts of a create-order request: task notifications (with a schedule
// of trigger statuses and optional delays), packaging-task notifications (CREATED and
// COMPLETED only), and signing-order notifications (sent when the order completes, no
// schedule). Rules: the seed's (+CC is the only accepted phone format; URL notifications
// only when Signicat enabled them) and the SDK's enums. Unconfirmed choices: `id`,
// `recipient`, `type` and `message` are required, `header` too for EMAIL (it is the
// subject); an EMAIL recipient and sender must be addresses; no schedule = sent at CREATED.
import type { FieldChecks, Json } from './field-checks.ts';
import { NOTIFICATION_TYPES, type NotificationSpec, type ScheduleSpec } from './order-spec.ts';

export interface NotificationRules {
  /** Trigger statuses allowed here; null = no schedule (signing-order notifications). */
  triggers: readonly string[] | null;
  urlNotifications: boolean;
}

const PHONE = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/;
const MINUTE_MS = 60_000;

function delayMs(checks: FieldChecks, entry: Json, at: string): number {
  const delay = entry.delay;
  if (delay === undefined || delay === null) return 0;
  if (typeof delay !== 'object' || Array.isArray(delay)) {
    checks.add(`${at}delay`, 'must be an object');
    return 0;
  }
  const part = (key: string) => checks.integer(delay as Json, key, `${at}delay.`, { min: 0 }) ?? 0;
  return (part('minutes') + part('hours') * 60 + part('days') * 1440) * MINUTE_MS;
}

function schedule(checks: FieldChecks, item: Json, at: string, triggers: readonly string[]): ScheduleSpec[] {
  const entries = checks.objects(item, 'schedule', at);
  // No schedule: sent when the task is created (the guide's example names CREATED; unconfirmed).
  if (entries.length === 0 && (item.schedule === undefined || item.schedule === null)) return [{ trigger: 'CREATED', delayMs: 0 }];
  return entries.flatMap(({ item: entry, at: entryAt }) => {
    const trigger = checks.oneOf(entry, 'triggerStatus', entryAt, triggers, true);
    const delay = delayMs(checks, entry, entryAt);
    return trigger ? [{ trigger, delayMs: delay }] : [];
  });
}

export function validateNotifications(checks: FieldChecks, owner: Json, path: string, rules: NotificationRules): NotificationSpec[] {
  return checks.objects(owner, 'notifications', path).flatMap(({ item, at }) => {
    const before = checks.violations.length;
    const id = checks.string(item, 'id', at, { required: true });
    const type = checks.oneOf(item, 'type', at, NOTIFICATION_TYPES, true);
    const recipient = checks.string(item, 'recipient', at, { required: true });
    const message = checks.string(item, 'message', at, { required: true });
    const header = checks.string(item, 'header', at, { required: type === 'EMAIL' });
    const sender = checks.string(item, 'sender', at);
    if (type === 'URL' && !rules.urlNotifications) checks.add(`${at}type`, 'URL notifications are not enabled for this account; ask Signicat to enable them');
    if (recipient !== undefined && recipient.trim() !== '') {
      if (type === 'SMS' && !PHONE.test(recipient)) checks.add(`${at}recipient`, 'must be a phone number with its country code in +CC format, e.g. +4791234567');
      if (type === 'EMAIL' && !EMAIL.test(recipient)) checks.add(`${at}recipient`, 'must be a well-formed email address');
      if (type === 'URL') checks.url(item, 'recipient', at);
    }
    if (type === 'EMAIL' && sender !== undefined && sender.trim() !== '' && !EMAIL.test(sender)) checks.add(`${at}sender`, 'must be a well-formed email address');
    let when: ScheduleSpec[] = [];
    if (rules.triggers) when = schedule(checks, item, at, rules.triggers);
    else if (item.schedule !== undefined && item.schedule !== null) checks.add(`${at}schedule`, 'signing-order notifications have no schedule: they are sent when the order is completed');
    if (checks.violations.length > before || !id || !type || !recipient || !message) return [];
    return [{ id, type, recipient, message, schedule: when, ...(header ? { header } : {}), ...(sender?.trim() ? { sender } : {}) }];
  });
}
