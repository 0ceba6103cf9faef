// Delivers one notification the way Signicat would, and records it: EMAIL over SMTP (to
// options.smtp, like the Secured Signing simulator's completion mails) with the header as
// subject and the message as a plain-text body; SMS only recorded (nothing to send it
// to); URL as a GET to the recipient with requestId, taskId (or packagingTaskId) and
// message as query parameters (the guide's list). Unconfirmed: the default sender
// (noreply@signicat.com, the SDK test's), a plain-text rather than templated HTML body,
// GET for URL notifications, and no retries — a failed delivery is recorded, not repeated
// (Signicat retries URL notifications for 24 hours).
import nodemailer from 'nodemailer';
import type { NotificationSpec } from './order-spec.ts';
import { fillPlaceholders, type PlaceholderValues } from './placeholders.ts';

export const DEFAULT_SENDER = 'noreply@signicat.com';
const URL_TIMEOUT_MS = 5_000;

export interface SentNotification {
  channel: NotificationSpec['type'];
  orderId: string;
  taskId?: string;
  packagingTaskId?: string;
  notificationId: string;
  /** The status that triggered it, or ORDER_COMPLETED for a signing-order notification. */
  trigger: string;
  to: string;
  from?: string;
  subject?: string;
  text: string;
  /** EMAIL: the SMTP Message-ID, when the server took it. */
  messageId?: string;
  /** URL: the answer's status. */
  status?: number;
  /** Why the delivery failed (SMTP refused or down, URL unreachable), when it did. */
  error?: string;
  at: number;
}

export interface Delivery {
  orderId: string;
  taskId?: string;
  packagingTaskId?: string;
  trigger: string;
  /** null: this kind of notification takes no placeholders (packaging tasks). */
  placeholders: PlaceholderValues | null;
}

export interface DeliverySettings {
  smtp?: { host: string; port: number };
  now: () => number;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function sendMail(settings: DeliverySettings, sent: SentNotification): Promise<void> {
  if (!settings.smtp) {
    sent.error = 'no SMTP server configured (options.smtp)';
    return;
  }
  const transport = nodemailer.createTransport({ host: settings.smtp.host, port: settings.smtp.port, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail({ from: sent.from, to: sent.to, subject: sent.subject ?? '', text: sent.text });
    sent.messageId = info.messageId;
  } catch (err) {
    sent.error = describe(err);
  } finally {
    transport.close();
  }
}

async function callUrl(sent: SentNotification, delivery: Delivery): Promise<void> {
  const url = new URL(sent.to);
  url.searchParams.set('requestId', delivery.orderId);
  if (delivery.packagingTaskId !== undefined) url.searchParams.set('packagingTaskId', delivery.packagingTaskId);
  else if (delivery.taskId !== undefined) url.searchParams.set('taskId', delivery.taskId);
  url.searchParams.set('message', sent.text);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(URL_TIMEOUT_MS) });
    await response.arrayBuffer();
    sent.status = response.status;
    if (response.status !== 200) sent.error = `answered ${response.status}; Signicat counts only 200 as delivered`;
  } catch (err) {
    sent.error = describe(err);
  }
}

export async function deliverNotification(notification: NotificationSpec, delivery: Delivery, settings: DeliverySettings): Promise<SentNotification> {
  const fill = (text: string) => (delivery.placeholders ? fillPlaceholders(text, delivery.placeholders) : text);
  const sent: SentNotification = {
    channel: notification.type, orderId: delivery.orderId, notificationId: notification.id, trigger: delivery.trigger,
    to: notification.recipient, text: fill(notification.message), at: settings.now(),
    ...(delivery.taskId !== undefined ? { taskId: delivery.taskId } : {}),
    ...(delivery.packagingTaskId !== undefined ? { packagingTaskId: delivery.packagingTaskId } : {}),
    ...(notification.header !== undefined ? { subject: fill(notification.header) } : {}),
  };
  if (notification.type === 'EMAIL') {
    sent.from = notification.sender ?? DEFAULT_SENDER;
    await sendMail(settings, sent);
  } else if (notification.type === 'URL') {
    await callUrl(sent, delivery);
  } else if (notification.sender !== undefined) {
    sent.from = notification.sender;
  }
  return sent;
}
