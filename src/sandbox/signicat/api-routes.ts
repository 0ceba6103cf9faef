// The Sign API's resources, once the caller's bearer token is accepted: session documents,
// signing orders, task status, events, results and originals, packaging, the archive.
// Routing is by pattern; a known path with another method is 405. Choices (unconfirmed):
// creations answer 201 (with Location), deletions 204; a result asked for before its task
// (or packaging) completed is a 404 problem with code RESULT_NOT_AVAILABLE, as is the
// result of a VIEW document; a withdrawn order is 404 everywhere except its tasks' status,
// which answers DELETED (the status enum has it for that).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mediaType, parseJsonBody, sendBytes, sendJson } from '../http-util.ts';
import type { Archive } from './archive.ts';
import { isObject } from './field-checks.ts';
import { orderJson, packagingStatusJson, taskEventsJson, taskStatusJson } from './order-json.ts';
import type { Orders } from './orders.ts';
import { notFound, signicatProblem, violationsProblem } from './problems.ts';
import type { SessionDocuments } from './session-documents.ts';
import type { SentNotification } from './notifications.ts';
import { validateOrder } from './validate-order.ts';

export interface ApiContext {
  sessions: SessionDocuments;
  orders: Orders;
  archive: Archive;
  /** The API base the caller used (…/enterprise/sign or …/sign), for absolute URIs. */
  apiBase: string;
  urlNotifications: boolean;
  /** Background deliveries (notifications of a new order) the simulator keeps track of. */
  track(delivery: Promise<SentNotification[]>): void;
}

export interface ApiCall {
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer;
  params: string[];
}

type Handler = (ctx: ApiContext, call: ApiCall) => Promise<unknown> | unknown;

const PDF = 'application/pdf';
const notAvailable = (detail: string) => signicatProblem(404, detail, 'RESULT_NOT_AVAILABLE');

function noContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

function orderRequest(call: ApiCall): Record<string, unknown> {
  if (mediaType(call.req) !== 'application/json') throw signicatProblem(415, 'Content-Type must be application/json', 'UNSUPPORTED_MEDIA_TYPE');
  let body: unknown;
  try {
    body = parseJsonBody(call.body);
  } catch (err) {
    throw signicatProblem(400, `JSON parse error: ${err instanceof Error ? err.message : String(err)}`, 'MALFORMED_JSON');
  }
  if (!isObject(body)) throw signicatProblem(400, 'JSON parse error: the signing order must be a JSON object', 'MALFORMED_JSON');
  return body;
}

function taskDocument(ctx: ApiContext, [orderId, taskId, documentId]: string[]) {
  const order = ctx.orders.get(orderId!);
  const { task } = ctx.orders.task(order.id, taskId!);
  const doc = task.documents.find((d) => d.spec.id === documentId);
  if (!doc) throw notFound(`Document ${documentId} of task ${taskId}`);
  return { task, doc };
}

function packagingTask(ctx: ApiContext, [orderId, packagingTaskId]: string[]) {
  const order = ctx.orders.get(orderId!);
  const packaging = order.packagingTasks.find((p) => p.id === packagingTaskId);
  if (!packaging) throw notFound(`Packaging task ${packagingTaskId} of signing order ${orderId}`);
  return { order, packaging };
}

const ROUTES: Array<[method: string, pattern: string, handler: Handler]> = [
  ['POST', '/documents', async (ctx, { req, res, body }) => {
    const doc = await ctx.sessions.upload(mediaType(req), new Uint8Array(body));
    sendJson(res, 201, { documentId: doc.id }, { Location: `${ctx.apiBase}/documents/${doc.id}` });
    return { contentType: doc.contentType, size: doc.bytes.length };
  }],
  ['GET', '/documents/:id', (ctx, { res, params }) => {
    const doc = ctx.sessions.get(params[0]!);
    sendBytes(res, 200, doc.bytes, doc.contentType);
  }],
  ['DELETE', '/documents/:id', (ctx, { res, params }) => {
    ctx.sessions.remove(params[0]!);
    noContent(res);
  }],
  ['POST', '/orders', (ctx, call) => {
    const request = orderRequest(call);
    const verdict = validateOrder(request, { documentExists: (ref) => ctx.sessions.find(ref) !== undefined, urlNotifications: ctx.urlNotifications });
    if (!verdict.ok) throw violationsProblem(verdict.violations);
    const { order, notified } = ctx.orders.create(verdict.order, request);
    ctx.track(notified);
    sendJson(call.res, 201, orderJson(order), { Location: `${ctx.apiBase}/orders/${order.id}` });
    return request;
  }],
  ['GET', '/orders/:id', (ctx, { res, params }) => sendJson(res, 200, orderJson(ctx.orders.get(params[0]!)))],
  ['DELETE', '/orders/:id', (ctx, { res, params }) => {
    ctx.orders.remove(params[0]!);
    noContent(res);
  }],
  ['GET', '/orders/:o/tasks/:t/status', (ctx, { res, params }) => {
    const { order, task } = ctx.orders.task(params[0]!, params[1]!);
    sendJson(res, 200, taskStatusJson(order, task, ctx.apiBase));
  }],
  ['GET', '/orders/:o/tasks/:t/events', (ctx, { res, params }) => {
    const { task } = ctx.orders.task(ctx.orders.get(params[0]!).id, params[1]!);
    sendJson(res, 200, taskEventsJson(task));
  }],
  ['GET', '/orders/:o/tasks/:t/documents/:d/result', (ctx, { res, params }) => {
    const { task, doc } = taskDocument(ctx, params);
    if (doc.spec.action === 'VIEW') throw notAvailable(`Document ${doc.spec.id} is only viewed (action VIEW): it has no signed result`);
    if (task.status !== 'COMPLETED' || !doc.result) throw notAvailable(`No result yet: task ${task.id} is ${task.status}`);
    sendBytes(res, 200, doc.result, PDF);
  }],
  ['GET', '/orders/:o/tasks/:t/documents/:d/original', (ctx, { res, params }) => {
    const { doc } = taskDocument(ctx, params);
    if (!doc.original) throw notFound(`Original of document ${doc.spec.id} (provided by the signer)`);
    sendBytes(res, 200, doc.original.bytes, doc.original.contentType);
  }],
  ['GET', '/orders/:o/packaging-tasks/:p/status', (ctx, { res, params }) => {
    const { order, packaging } = packagingTask(ctx, params);
    sendJson(res, 200, packagingStatusJson(order, packaging, ctx.apiBase));
  }],
  ['GET', '/orders/:o/packaging-tasks/:p/result', (ctx, { res, params }) => {
    const { packaging } = packagingTask(ctx, params);
    if (packaging.status !== 'COMPLETED' || !packaging.result) throw notAvailable(`No result yet: packaging task ${packaging.id} is ${packaging.status}`);
    sendBytes(res, 200, packaging.result, PDF);
  }],
  ['GET', '/archive-documents/:id', (ctx, { res, params }) => sendBytes(res, 200, ctx.archive.get(params[0]!).bytes, PDF)],
  ['DELETE', '/archive-documents/:id', (ctx, { res, params }) => {
    ctx.archive.remove(params[0]!);
    noContent(res);
  }],
];

/** The path's parameters when it has the pattern's shape, else null. */
function match(pattern: string, segments: string[]): string[] | null {
  const parts = pattern.split('/').slice(1);
  if (parts.length !== segments.length) return null;
  const params: string[] = [];
  for (const [i, part] of parts.entries()) {
    if (part.startsWith(':')) params.push(segments[i]!);
    else if (part !== segments[i]) return null;
  }
  return params;
}

/** Handles a call to `path` (below the API base); returns what to record as its body. */
export async function routeApi(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, body: Buffer, path: string): Promise<unknown> {
  let segments: string[];
  try {
    segments = path.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw signicatProblem(400, 'The path is not correctly percent-encoded', 'BAD_PATH');
  }
  const allowed: string[] = [];
  for (const [method, pattern, handler] of ROUTES) {
    const params = match(pattern, segments);
    if (!params) continue;
    if (method === req.method) return handler(ctx, { req, res, body, params });
    allowed.push(method);
  }
  if (allowed.length > 0) throw signicatProblem(405, `${req.method} is not supported here`, 'METHOD_NOT_ALLOWED', { Allow: allowed.join(', ') });
  throw signicatProblem(404, `No endpoint ${req.method} ${path}`, 'NOT_FOUND');
}
