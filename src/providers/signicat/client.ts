// The Signicat Sign API v1 implementation of SigningProvider (SIGNICAT.md, seed 004):
// upload each stamped PDF to session storage, create one signing order for the request
// (order-body.ts), read its tasks' status, download the signed result (the task's, or the
// PAdES package's, or the archived copy), the tasks' events as a document's evidence,
// withdraw the order. Tokens: OIDC client
// credentials through the shared token manager. Request mechanics live in call-api.ts.
//
// A send whose answer was lost is found again through the order's own notice: the first
// task's CREATED notification mails `${orderId}` to the request's return address, the
// completion watcher keeps what it says, and `findSent` asks Signicat about those order ids
// (each must carry the request's token as its client reference). The Sign API cannot list
// orders by client reference, so without such a notice nothing is sent again until it came
// or the wait for it ran out.
import type { SignicatConfig } from '../../config/schema.ts';
import { isSignrelayError, SignrelayError } from '../../errors.ts';
import { jsonObject, textField } from '../../http/json-fields.ts';
import { jsonBody, notJsonProblem } from '../../http/network-failure.ts';
import { nonEmpty } from '../../http/streamed-bodies.ts';
import { clientCredentialsGrant } from '../../http/oauth-grants.ts';
import { namedFailures, type TokenEndpoint } from '../../http/token-endpoint.ts';
import { createTokenManager, type TokenStore } from '../../http/token-manager.ts';
import { trustingFetch } from '../../http/trusting-fetch.ts';
import type { AccountInfo, DocumentStatus, SendInput, SendResult, SentDocument, SigningCertificate, SigningProvider, UploadInput } from '../provider.ts';
import { callApi, type ApiAnswer, type ApiContext, type ApiLogger } from './call-api.ts';
import { badResponse, SIGNICAT, tokenRefused } from './classify-error.ts';
import { orderBody, type SignicatDocument } from './order-body.ts';
import { documentStatusOf, type TaskState } from './order-status.ts';
import { latest, providerTime } from '../provider-time.ts';
import { signicatTraits } from './traits.ts';
import { operatorCommand } from '../../service-unit.ts';

/** How many of the ids a request's notices named are asked about, at most. */
const MAX_ASKED_ORDER_IDS = 20;
/** How many refused ids the client remembers (a bound, not a cache policy). */
const MAX_REMEMBERED_NOT_ORDERS = 10_000;
/** How many completed tasks' times the client remembers (a completed task's events do not change). */
const MAX_REMEMBERED_COMPLETIONS = 10_000;
/** How long a completed task whose events could not be read is not asked about again: its time is a courtesy, the status read goes on without it. */
const UNREAD_EVENTS_PAUSE_MS = 15 * 60_000;

export interface SignicatClientOptions {
  config: SignicatConfig;
  tokenStore?: TokenStore;
  fetch?: typeof fetch;
  now?: () => number;
  logger?: ApiLogger;
}

/** When a token answer states no lifetime (unconfirmed): short enough to be safe. */
const DEFAULT_LIFETIME_SECONDS = 600;

function json(answer: ApiAnswer, effect = false): Record<string, unknown> {
  const body = jsonObject(new TextDecoder().decode(answer.body));
  if (!body) throw badResponse(answer.what, notJsonProblem(answer.headers.get('content-type')), undefined, { effect });
  return body;
}

/** A 2xx body that must be a JSON list; anything else is a bad response, never a SyntaxError. */
function jsonList(answer: ApiAnswer, problem: string): unknown[] {
  const value = jsonBody(answer, (notJson, cause) => badResponse(answer.what, notJson, cause));
  if (!Array.isArray(value)) throw badResponse(answer.what, problem);
  return value;
}

const segment = encodeURIComponent;

function keptOf(document: SentDocument): SignicatDocument {
  const kept = document.kept as SignicatDocument | null;
  if (!document.orderId || !kept || typeof kept.documentId !== 'string' || !Array.isArray(kept.tasks)) {
    throw new SignrelayError('permanent', 'provider_not_sent', `document ${document.reference} has no Signicat order recorded: it was never sent`);
  }
  return kept;
}

export function createSignicatClient(options: SignicatClientOptions): SigningProvider {
  const { config } = options;
  /** Order ids a notice named that Signicat refused: not this request's order, not asked again. */
  const notOrders = new Set<string>();
  /** Per completed task (order/task), when it completed — null: its events name no time. Read once, not at every status read. */
  const completions = new Map<string, Date | null>();
  /** Per completed task whose events could not be read, when they may be asked for again (not at every status read). */
  const unreadUntil = new Map<string, number>();
  const fetchFn = trustingFetch(options.fetch ?? globalThis.fetch, config, 'provider');
  const now = options.now ?? Date.now;
  const timeoutMs = config.timeout_seconds * 1000;
  const endpoint: TokenEndpoint = {
    url: config.token_url, clientId: config.client_id, clientSecret: config.client_secret, clientAuth: config.client_auth,
    fetch: fetchFn, timeoutMs, now, defaultLifetimeSeconds: DEFAULT_LIFETIME_SECONDS,
    failures: {
      ...namedFailures(SIGNICAT, { timeoutSeconds: config.timeout_seconds, tokenSetting: 'provider.token_url', now }),
      refused: (operation, refusal, secrets) => tokenRefused(operation, refusal, secrets),
    },
  };
  const tokens = createTokenManager({
    strategy: clientCredentialsGrant(endpoint, { operation: 'obtain an access token (client_credentials grant)', scope: config.scope }),
    store: options.tokenStore, now,
  });
  const ctx: ApiContext = {
    baseUrl: config.base_url.replace(/\/+$/, ''), tokens, secrets: [config.client_secret], fetch: fetchFn, now, timeoutMs, logger: options.logger,
  };
  const baseOrigin = new URL(ctx.baseUrl).origin;

  /** A URI from an answer, followed only under the configured base: the bearer token goes nowhere else. */
  function ownUri(uri: string, what: string): string {
    let url: URL;
    try {
      url = new URL(uri, `${ctx.baseUrl}/`);
    } catch {
      throw badResponse(what, `"${uri}" is not a URI`);
    }
    if (url.origin !== baseOrigin) throw badResponse(what, `the result is at ${url.origin}, not under provider.base_url: not followed`);
    return url.href;
  }

  async function taskStates(orderId: string, kept: SignicatDocument): Promise<Array<TaskState & { documents: unknown[] }>> {
    const states = [];
    for (const task of kept.tasks) {
      const answer = await callApi(ctx, { operation: `read the status of task ${task.id} of order ${orderId}`, method: 'GET', path: `/orders/${segment(orderId)}/tasks/${segment(task.id)}/status` });
      const body = json(answer);
      states.push({ taskId: task.id, signer: task.signer, status: textField(body.taskStatus) ?? 'UNKNOWN', documents: Array.isArray(body.documents) ? body.documents : [] });
    }
    return states;
  }

  async function packagingStatus(orderId: string, packagingTaskId: string): Promise<Record<string, unknown>> {
    const answer = await callApi(ctx, {
      operation: `read the status of package ${packagingTaskId} of order ${orderId}`, method: 'GET',
      path: `/orders/${segment(orderId)}/packaging-tasks/${segment(packagingTaskId)}/status`,
    });
    return json(answer);
  }

  /**
   * When a completed task completed: its TASK_COMPLETED event's time (the latest, should there
   * be several), read into a Date (provider-time.ts). Unknown — the events cannot be read now,
   * or name no readable time — is no time: the status stands without it (audit review M3).
   */
  async function completedAt(orderId: string, taskId: string): Promise<Date | undefined> {
    const key = `${orderId}/${taskId}`;
    if (completions.has(key)) return completions.get(key) ?? undefined;
    if ((unreadUntil.get(key) ?? 0) > now()) return undefined;
    let at: Date | undefined;
    try {
      const events = await taskEvents(orderId, taskId) as Array<{ eventType?: unknown; eventTime?: unknown } | null>;
      at = latest(events.filter((e) => e?.eventType === 'TASK_COMPLETED').map((e) => providerTime(e?.eventTime)));
    } catch {
      if (unreadUntil.size >= MAX_REMEMBERED_COMPLETIONS) unreadUntil.clear();
      unreadUntil.set(key, now() + UNREAD_EVENTS_PAUSE_MS);
      return undefined;
    }
    unreadUntil.delete(key);
    if (completions.size >= MAX_REMEMBERED_COMPLETIONS) completions.clear();
    completions.set(key, at ?? null);
    return at;
  }

  /** The reason a signer gave, from the task's events (TASK_REJECTED carries it), when Signicat keeps one. */
  async function rejectionReason(orderId: string, taskId: string): Promise<string | undefined> {
    try {
      const rejected = (await taskEvents(orderId, taskId)).find((e) => (e as { eventType?: unknown })?.eventType === 'TASK_REJECTED') as { data?: unknown } | undefined;
      return typeof rejected?.data === 'string' ? rejected.data : undefined;
    } catch {
      return undefined; // the reason is a courtesy; the status is what counts
    }
  }

  /** A task's events (created, notified, viewed, signed, completed, rejected …), as the service lists them: outside data. */
  async function taskEvents(orderId: string, taskId: string): Promise<unknown[]> {
    const answer = await callApi(ctx, { operation: `read the events of task ${taskId}`, method: 'GET', path: `/orders/${segment(orderId)}/tasks/${segment(taskId)}/events` });
    return jsonList(answer, 'expected a list of events');
  }

  async function download(bytesAt: string, what: string): Promise<AsyncIterable<Uint8Array>> {
    const answer = await callApi(ctx, { operation: what, method: 'GET', path: ownUri(bytesAt, what), streamed: true });
    return nonEmpty(answer.chunks!, () => badResponse(answer.what, 'the signed document is empty'));
  }

  return {
    ...signicatTraits(),

    async upload(input: UploadInput) {
      const answer = await callApi(ctx, { operation: `upload the document ${input.fileName}`, method: 'POST', path: '/documents', pdf: input.bytes, effect: true });
      const documentId = textField(json(answer, true).documentId);
      if (!documentId) throw badResponse(answer.what, 'no documentId in the answer', undefined, { effect: true });
      return { reference: documentId };
    },

    async send(input: SendInput): Promise<SendResult> {
      if (input.signers.length === 0) {
        throw new SignrelayError('permanent', 'provider_no_signers', 'Signicat needs the signers named: a Signicat order has one task per signer, and Signicat reads no tags');
      }
      const { body, documents, closesAt } = orderBody(input, config, now());
      const answer = await callApi(ctx, { operation: `create the signing order for ${input.packageName}`, method: 'POST', path: '/orders', json: body, effect: true });
      const order = json(answer, true);
      const orderId = textField(order.id);
      if (!orderId) throw badResponse(answer.what, 'no order id in the answer', undefined, { effect: true });
      // The signing links in the answer (tasks[].signingUrl) are the signers' secrets: not kept, not logged.
      return { orderId, tasks: documents[0]?.tasks ?? [], documents, closesAt };
    },

    async findSent(input) {
      // The ids the return address's mails named — anyone who knows the token can write one
      // from a forged sender: the first few are asked (the order's own notice comes first,
      // before a signer holds the token), each once — an id Signicat refused is not asked again.
      const asked = (input.announcedOrderIds ?? []).filter((id) => !notOrders.has(id)).slice(0, MAX_ASKED_ORDER_IDS);
      for (const orderId of asked) {
        let answer: ApiAnswer;
        try {
          answer = await callApi(ctx, { operation: `read signing order ${orderId}`, method: 'GET', path: `/orders/${segment(orderId)}` });
        } catch (err) {
          // Refused for this id alone (unknown: 404; a malformed id: 400): a forged or mistyped
          // notice, not the end of the search. A transient failure or the credentials' stop it.
          if (!isSignrelayError(err) || err.kind !== 'permanent') throw err;
          if (notOrders.size >= MAX_REMEMBERED_NOT_ORDERS) notOrders.clear();
          notOrders.add(orderId);
          continue;
        }
        // An answer without the order's id is not an order (a gateway's 200, an error object):
        // it says nothing — least of all "not this request's", which would create a second one.
        const order = json(answer);
        if (!textField(order.id)) throw badResponse(answer.what, 'the answer is not an order (it has no id)');
        // Only an order made for this request counts: a notice's order id is outside text.
        if (textField(order.clientReference) !== input.token) continue;
        const tasks = (Array.isArray(order.tasks) ? order.tasks : []) as Array<Record<string, unknown>>;
        const rebuilt = orderBody({ ...input, signers: [], dueAt: new Date(0), packageName: '', returnAddress: '', route: {} }, config, now());
        const documentIds = rebuilt.documents.map((d) => d.documentId);
        const taskList = tasks.map((t) => ({ id: textField(t.id) ?? '', signer: signerOf(t) }));
        const packaged = Array.isArray(order.packagingTasks) && order.packagingTasks.length > 0;
        return {
          orderId, tasks: taskList,
          documents: documentIds.map((documentId, k) => ({ documentId, tasks: taskList, ...(packaged ? { packagingTaskId: `package-${k + 1}` } : {}) })),
        };
      }
      if (input.stillWaiting) {
        throw new SignrelayError('transient', 'provider_send_unconfirmed',
          `whether the signing order for ${input.token} was created is not known yet: waiting for Signicat's order notice at the return address`, { retryAfterSeconds: 10 });
      }
      return null;
    },

    async status(document: SentDocument): Promise<DocumentStatus> {
      const kept = keptOf(document);
      const orderId = document.orderId!;
      const tasks: TaskState[] = await taskStates(orderId, kept);
      for (const [i, task] of tasks.entries()) {
        const at = task.status === 'COMPLETED' ? await completedAt(orderId, task.taskId) : undefined;
        if (at) tasks[i] = { ...task, completedAt: at };
      }
      const packaging = kept.packagingTaskId && tasks.every((t) => t.status === 'COMPLETED')
        ? textField((await packagingStatus(orderId, kept.packagingTaskId)).packagingTaskStatus) ?? 'UNKNOWN'
        : kept.packagingTaskId ? 'CREATED' : null;
      const status = documentStatusOf(document.reference, tasks, packaging);
      const rejected = tasks.find((t) => t.status === 'REJECTED');
      if (rejected) {
        const reason = await rejectionReason(orderId, rejected.taskId);
        status.signers = status.signers.map((s) => (s.email === rejected.signer && reason ? { ...s, declinedReason: reason } : s));
      }
      return status;
    },

    async download(document: SentDocument) {
      const kept = keptOf(document);
      const orderId = document.orderId!;
      if (kept.packagingTaskId) {
        const packaging = await packagingStatus(orderId, kept.packagingTaskId);
        const uri = textField(packaging.packagingTaskResultUri);
        if (textField(packaging.packagingTaskStatus) === 'FAILED') {
          throw new SignrelayError('permanent', 'provider_packaging_failed',
            `every signer of order ${orderId} signed, but Signicat failed to make its PAdES package (packaging FAILED), so there is no signed document to deliver: ask Signicat's support, or take the signed document from Signicat by hand; \`${operatorCommand('retry ID')}\` asks again`);
        }
        if (textField(packaging.packagingTaskStatus) !== 'COMPLETED' || !uri) {
          throw new SignrelayError('transient', 'not_complete_yet', `the PAdES package of order ${orderId} is ${textField(packaging.packagingTaskStatus) ?? 'not ready'}; checking again later`, { retryAfterSeconds: 60 });
        }
        return download(uri, `download the signed package of order ${orderId}`);
      }
      const [task] = await taskStates(orderId, { ...kept, tasks: kept.tasks.slice(-1) });
      const entry = (task?.documents ?? []).find((d) => textField((d as Record<string, unknown>)?.id) === kept.documentId) as Record<string, unknown> | undefined;
      const uri = textField(entry?.resultUri);
      if (!uri) throw new SignrelayError('transient', 'not_complete_yet', `the result of ${kept.documentId} in order ${orderId} is not ready; checking again later`, { retryAfterSeconds: 60 });
      return download(uri, `download the signed ${kept.documentId} of order ${orderId}`);
    },

    async downloadCertificate(document: SentDocument): Promise<SigningCertificate> {
      // Signicat issues no completion certificate. Its audit trail is each task's events
      // (GET …/tasks/{t}/events: created, notified, viewed, signed, completed, with times);
      // the evidence of a document is every task's events that concern the task or this
      // document, taken once every task is COMPLETED. Rebuilt field by field as JSON, so
      // what reaches the record is data, whatever the answer held.
      const kept = keptOf(document);
      const orderId = document.orderId!;
      const tasks = await taskStates(orderId, kept);
      const open = tasks.find((t) => t.status !== 'COMPLETED');
      if (open) throw new SignrelayError('transient', 'certificate_not_ready', `task ${open.taskId} of order ${orderId} is ${open.status}: its signing events are not complete yet`);
      const evidence = [];
      for (const task of tasks) {
        const events = await taskEvents(orderId, task.taskId);
        // `invited`: whom signrelay asked to sign; the events say what happened to the task, not who
        // opened its link (a forwarded invitation is signed by someone else): not called the signer (Signicat review L1).
        evidence.push({ taskId: task.taskId, invited: task.signer, status: task.status, events: events.flatMap((e) => eventOf(e, kept.documentId)) });
      }
      const json = JSON.stringify({ provider: 'Signicat', orderId, documentId: kept.documentId, tasks: evidence }, null, 2);
      return { bytes: new TextEncoder().encode(`${json}\n`), contentType: 'application/json', fileSuffix: '-signing-events.json' };
    },

    async sendReminder() {
      // capabilities.remind is false: Signicat reminds through notifications set when the order is made.
      throw new SignrelayError('permanent', 'provider_cannot_remind', 'Signicat orders cannot be reminded of after they are made');
    },

    async extend() {
      // capabilities.extend is false: a task's daysToLive is set when the order is made, and
      // the API as signrelay knows it (SIGNICAT.md) has no call that changes it afterwards.
      throw new SignrelayError('permanent', 'provider_cannot_extend', 'Signicat orders cannot have their due date moved after they are made (capabilities.extend is false: a caller must not ask)');
    },

    async cancel(document: SentDocument) {
      if (!document.orderId) return; // never sent: nothing to withdraw
      // Signicat deletes any order, a signed one too (Secured Signing refuses to withdraw a
      // completed document): an order every signer signed since the cancel looked — or signed
      // while its package is still being made — is not deleted (Signicat review H1).
      // Every document of a request shares its one order: the second document's withdrawal
      // finds the order the first deleted. Gone (a 404, to the status read or the DELETE) is
      // withdrawn, whichever call meets it first (multidoc review: the status read was outside
      // this guard, and a 404 there would have failed the cancel of an order already deleted).
      try {
        const tasks = await taskStates(document.orderId, keptOf(document));
        if (tasks.length > 0 && tasks.every((t) => t.status === 'COMPLETED')) {
          throw new SignrelayError('permanent', 'provider_signed_before_withdrawal',
            `every signer of signing order ${document.orderId} had signed before signrelay could withdraw it: it was not deleted, and its signed document stays at Signicat`);
        }
        await callApi(ctx, { operation: `withdraw signing order ${document.orderId}`, method: 'DELETE', path: `/orders/${segment(document.orderId)}`, effect: true });
      } catch (err) {
        // Deleted already (another document of the order, or by its days until deletion).
        if ((err as { code?: string }).code === 'provider_not_found') return;
        throw err;
      }
    },

    async accountInfo(): Promise<AccountInfo> {
      // The Sign API has no account endpoint: a token, and an authorised 404 for a document
      // that cannot exist, prove the client id, secret, scope and base URL.
      try {
        await callApi(ctx, { operation: 'check access to the Sign API', method: 'GET', path: '/documents/signrelay-check-0000' });
      } catch (err) {
        if ((err as { code?: string }).code !== 'provider_not_found') throw err;
      }
      return { raw: null };
    },
  };
}

/** One event as evidence (type, time, data), or none: not an event, or about another document of the order. */
function eventOf(event: unknown, documentId: string): Array<{ eventType: string; eventTime: string | null; data?: string }> {
  const e = (event ?? {}) as Record<string, unknown>;
  const eventType = textField(e.eventType);
  if (!eventType) return [];
  const data = textField(e.data);
  if (eventType.startsWith('DOCUMENT_') && data !== documentId) return [];
  return [{ eventType, eventTime: textField(e.eventTime) ?? null, ...(data !== undefined ? { data } : {}) }];
}

/** The signer a task was made for, as the order echoes it: the invitation's recipient. */
function signerOf(task: Record<string, unknown>): string {
  const notifications = Array.isArray(task.notifications) ? task.notifications as Array<Record<string, unknown>> : [];
  const invite = notifications.find((n) => typeof n.id === 'string' && n.id.startsWith('invite-'));
  return textField(invite?.recipient) ?? '';
}
