// What the conversation tests (acknowledgement, reply commands) share: the world with a
// route that requires DKIM (for forged-From replies), a request sent with its
// Authentication-Results, the acknowledgement as the SMTP server received it, a reply to it
// delivered to the request's reply address, and the answer to that reply.
import { afterAll, beforeAll } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import type { ProviderName } from '../../src/providers/provider.ts';
import type { SinkMessage } from '../support/smtp-sink.ts';
import { waitFor } from '../support/wait-for.ts';
import { getRequest, listRequests, type RequestRow } from '../../src/store/requests.ts';
import { STATUS_FIELD } from './record-world.ts';
import { buildMail, contractPdf, reportOnFailure, startWorld, type World } from './world.ts';

/** The world of record-world.ts (status field set), plus a route that requires DKIM and one without acknowledgements. */
export function useConversationWorld(provider: ProviderName): () => World {
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld({ provider, completionMails: false, configYaml: 'intake: {authentication: {trusted_authserv_ids: [mx.corp.example]}}' });
    world.config = configSchema.parse({
      ...world.config,
      servicenow: { ...world.config.servicenow, status_field: STATUS_FIELD },
      // One requester writes every test's mails: the hourly limit on answers must not be what a test meets.
      limits: { ...world.config.limits, max_replies_per_hour: 100 },
      routes: {
        ...world.config.routes,
        secure: { allowed_senders: ['*@corp.example'], require_authentication: ['dkim'] },
        quiet: { allowed_senders: ['*@corp.example'], acknowledge: false },
      },
    });
    world.startDaemon();
  }, 60_000);
  reportOnFailure(() => world);
  afterAll(async () => {
    await world?.close();
  });
  return () => world!;
}

export const REQUESTER = 'helen.officer@corp.example';
export const DKIM_PASS = 'mx.corp.example; dkim=pass header.d=corp.example';

const xSignrelay = (m: SinkMessage) => String(m.parsed?.headers.get('x-signrelay') ?? '');

export interface SendOptions {
  to?: string;
  text?: string;
  headers?: Record<string, string>;
}

let requests = 0;

/** Mails a request for `record` and waits until it is sent (or ends otherwise); returns it. */
export async function sendFor(world: World, record: string, options: SendOptions = {}): Promise<RequestRow> {
  const messageId = `<request.${++requests}.${Date.now()}@corp.example>`;
  await world.dovecot.deliver(options.to ?? 'sign@corp.example', await buildMail({
    to: options.to, subject: `Contract for ${record}`, headers: options.headers, messageId,
    text: options.text ?? 'Signer 1: Ann Lee <ann.lee@example.com>\nSigner 2: Bob Stone <bob.stone@corp.example>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  return waitFor(() => listRequests(world.daemon!.db).find((r) => r.messageId === messageId && r.state !== 'received' && r.state !== 'stamped' && r.state !== 'uploaded'),
    { timeoutMs: 20_000, what: `the request for ${record} to be sent` });
}

/** The acknowledgements the SMTP server received for a request. */
export function acknowledgementsOf(world: World, request: Pick<RequestRow, 'id'>): SinkMessage[] {
  return world.smtp.messages.filter((m) => xSignrelay(m) === 'acknowledgement' && (m.parsed?.text ?? '').includes(`Request:    ${request.id}`));
}

export async function acknowledgementOf(world: World, request: Pick<RequestRow, 'id'>): Promise<SinkMessage> {
  return waitFor(() => acknowledgementsOf(world, request)[0], { timeoutMs: 20_000, what: `the acknowledgement of ${request.id}`, describe: () => world.smtp.messages.map((m) => m.parsed?.subject) });
}

export interface ReplySpec {
  from?: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  messageId?: string;
  /** Where it is delivered (default: the acknowledgement's Reply-To). */
  to?: string;
}

let replies = 0;

/** A reply to the acknowledgement as the requester's mail client writes it: to its Reply-To, threaded to it. */
export async function buildReply(ack: SinkMessage, spec: ReplySpec): Promise<Buffer> {
  const ackId = ack.parsed!.messageId!;
  return buildMail({
    from: spec.from ?? `Helen Officer <${REQUESTER}>`, to: spec.to ?? String(ack.parsed!.replyTo!.value[0]!.address), subject: `Re: ${ack.parsed!.subject}`,
    messageId: spec.messageId ?? `<reply.${++replies}.${Date.now()}@corp.example>`,
    text: spec.text, html: spec.html, headers: { 'In-Reply-To': ackId, References: ackId, ...spec.headers },
  });
}

/** Delivers a reply to the acknowledgement; returns its Message-ID and raw bytes (to deliver again). */
export async function reply(world: World, ack: SinkMessage, spec: ReplySpec): Promise<{ messageId: string; raw: Buffer; to: string }> {
  const to = spec.to ?? String(ack.parsed!.replyTo!.value[0]!.address);
  const messageId = spec.messageId ?? `<reply.${++replies}.${Date.now()}@corp.example>`;
  const raw = await buildReply(ack, { ...spec, to, messageId });
  await world.dovecot.deliver(to, raw);
  return { messageId, raw, to };
}

/** Waits until the reply is filed (its outcome committed and the mail moved); returns the filing. */
export async function filed(world: World, messageId: string): Promise<{ outcome: string; folder: string; reason: string }> {
  return waitFor(() => world.daemon!.db.prepare("SELECT outcome, folder, reason FROM messages WHERE mailbox = 'requests' AND message_id = ? AND moved_at IS NOT NULL ORDER BY seen_at LIMIT 1")
    .get(messageId) as { outcome: string; folder: string; reason: string } | undefined, { timeoutMs: 20_000, what: `the reply ${messageId} filed` });
}

export function answersTo(world: World, messageId: string): SinkMessage[] {
  return world.smtp.messages.filter((m) => xSignrelay(m) === 'answer' && m.parsed?.inReplyTo === messageId);
}

export async function answerTo(world: World, messageId: string): Promise<SinkMessage> {
  return waitFor(() => answersTo(world, messageId)[0], { timeoutMs: 20_000, what: `the answer to ${messageId}`, describe: () => world.smtp.messages.map((m) => `${xSignrelay(m)} ${m.parsed?.subject}`) });
}

export const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
