// Small helpers the sandbox's HTTP simulators share (node:http, no framework): read a
// body with a size cap, parse JSON / form-urlencoded / multipart (through the Fetch
// Request parser built into Node), answer JSON, listen over http or https, and inject
// the faults a real service or the network between shows (a status, a call that never
// answers, a garbled answer, a reset mid-upload). Only the simulators use this.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export class HttpProblem extends Error {
  readonly status: number;
  readonly body: unknown;
  /** Extra response headers (e.g. ServiceNow's `X-MFA_TOKEN` on a 401). */
  readonly headers: Record<string, string>;
  constructor(status: number, body: unknown, message = `HTTP ${status}`, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export async function readBody(req: IncomingMessage, maxBytes = 50 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpProblem(413, { message: `body larger than ${maxBytes} bytes` });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** multipart/form-data or x-www-form-urlencoded, parsed like a Fetch Request would. */
export async function parseFormBody(req: IncomingMessage, body: Buffer): Promise<FormData> {
  const request = new Request('http://sandbox.invalid/', {
    method: 'POST',
    headers: { 'content-type': req.headers['content-type'] ?? '' },
    body: new Uint8Array(body),
  });
  return request.formData();
}

export function parseJsonBody(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8'));
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendBytes(res: ServerResponse, status: number, bytes: Uint8Array, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': bytes.length, ...headers });
  res.end(Buffer.from(bytes));
}

export function sendRaw(res: ServerResponse, status: number, text: string, contentType: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Case-insensitive single header value (first one when repeated). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** What every simulator records of a call it was sent (this is a test tool: bodies and secrets included). */
export interface RecordedHttpCall {
  at: number;
  method: string;
  /** The full path, without the query. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The parsed body (JSON, form fields) or a summary of what was stored. */
  body?: unknown;
  /** The answer's status; 0 until answered. */
  status: number;
  error?: string;
  /** The kind of fault injected into this call, if any. */
  fault?: string;
}

/** Starts recording a call; its status is filled in as the head is written, so a test that saw the answer sees it too. */
export function recordCall(req: IncomingMessage, res: ServerResponse, url: URL, at: number): RecordedHttpCall {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']));
  const call: RecordedHttpCall = { at, method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, status: 0 };
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  (res as { writeHead: unknown }).writeHead = (...args: unknown[]) => {
    call.status = args[0] as number;
    return writeHead(...args);
  };
  return call;
}

export interface Listening {
  server: Server | TlsServer;
  port: number;
  close(): Promise<void>;
}

/** A certificate to serve https with (PEM); none = plain http. */
export interface ServeTls {
  key: Buffer | string;
  cert: Buffer | string;
}

/** Listens on 127.0.0.1 and a free port; close() also drops idle keep-alive sockets (and hung calls). */
export async function listenLocal(handler: RequestListener, tls?: ServeTls): Promise<Listening> {
  const server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, handler) : createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    // Idempotent: a test may close early and its afterEach close again.
    close: () => closing ??= new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }),
  };
}

/** The fault injected into the next call(s) to a path (`failNext`); `times` defaults to 1. */
export type FaultSpec = StatusFault | HangFault | DropFault | MalformedFault | GatewayFault | ResetFault | CutFault | LateFault;

/** An HTTP error answer; the call is not carried out. A 2xx status with a body injects an answer. */
export interface StatusFault {
  kind?: 'status';
  status: number;
  /** Seconds, or an HTTP date, sent as Retry-After. */
  retryAfter?: number | string;
  /** Answer body; default the service's error shape. */
  body?: unknown;
  headers?: Record<string, string>;
  times?: number;
}

/** The call is carried out, and its answer never comes (a stalled proxy or server). */
export interface HangFault {
  kind: 'hang';
  times?: number;
}

/**
 * The call is carried out `afterMs` after its request arrived, and its answer never comes: a
 * server that is slow and goes on with the work after the client has given up waiting (a
 * ServiceNow transaction runs until its quota, whoever still listens). Carried out only by
 * the simulators that say so (ServiceNow's); elsewhere it is a hang.
 */
export interface LateFault {
  kind: 'late';
  afterMs: number;
  times?: number;
}

/** How long a call with this fault waits before it is carried out (0: at once). */
export const lateBy = (fault: FaultSpec | null): number => (fault?.kind === 'late' ? fault.afterMs : 0);

/** The call is carried out, and the connection is reset instead of its answer (a crashed proxy or server). */
export interface DropFault {
  kind: 'drop';
  times?: number;
}

/**
 * The call is carried out, and its answer arrives as a 200 that is not the API's JSON:
 * `html` (default) a proxy's or login page, `truncated` the real JSON cut in half.
 */
export interface MalformedFault {
  kind: 'malformed';
  body?: 'html' | 'truncated';
  times?: number;
}

/**
 * The call is carried out, and its answer is replaced by a gateway's error page: a 504 (or
 * `status`) in HTML, as a proxy in front of the service sends when it gave up waiting for
 * an answer that the service went on to give.
 */
export interface GatewayFault {
  kind: 'gateway';
  status?: 500 | 502 | 504;
  times?: number;
}

/** The connection is reset after `afterBytes` (default 1) of the request body: the call is not carried out. */
export interface ResetFault {
  kind: 'reset';
  afterBytes?: number;
  times?: number;
}

/**
 * The call is carried out, and its answer breaks off after `afterBytes` (default: half) of
 * its body: the headers promise the whole length, then the connection closes (a proxy or
 * server that died mid-download).
 */
export interface CutFault {
  kind: 'cut';
  afterBytes?: number;
  times?: number;
}

/** Pending faults by path prefix, each used `times` times, first added first. */
export class FaultQueue {
  private readonly entries: Array<{ prefix: string; fault: FaultSpec; left: number }> = [];

  add(prefix: string, fault: FaultSpec): void {
    this.entries.push({ prefix, fault, left: fault.times ?? 1 });
  }

  /** The fault for a call whose path (in any of its spellings) starts with a queued prefix. */
  take(...paths: Array<string | null>): FaultSpec | null {
    const i = this.entries.findIndex((e) => paths.some((p) => p !== null && p.startsWith(e.prefix)));
    if (i < 0) return null;
    const entry = this.entries[i]!;
    if (--entry.left <= 0) this.entries.splice(i, 1);
    return entry.fault;
  }
}

const PROXY_PAGE = '<!DOCTYPE html><html><head><title>Service unavailable</title></head><body><h1>Service unavailable</h1>' +
  '<p>The proxy could not read a valid answer from the upstream server.</p></body></html>';

/**
 * Handles a call the way `fault` says. Returns true when the fault has taken the call
 * over (answered it, or reset it); false when the caller should carry it out, which for
 * `hang` and `malformed` it does with the answer withheld or garbled on the way out.
 * `errorBody` is the service's own error shape for a status fault.
 */
export function injectFault(req: IncomingMessage, res: ServerResponse, fault: FaultSpec, errorBody: (status: number) => unknown): boolean {
  if (fault.kind === 'reset') {
    resetMidBody(req, fault.afterBytes ?? 1);
    return true;
  }
  if (fault.kind === 'hang' || fault.kind === 'drop' || fault.kind === 'malformed' || fault.kind === 'gateway' || fault.kind === 'cut') {
    spoilAnswer(res, fault);
    return false;
  }
  if (fault.kind === 'late') {
    spoilAnswer(res, { kind: 'hang' });
    return false;
  }
  const extra = { ...fault.headers, ...(fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) }) };
  // The whole request is read first, as a real service would before answering.
  readBody(req).then(() => sendJson(res, fault.status, fault.body ?? errorBody(fault.status), extra), () => res.destroy());
  return true;
}

/** Reads the request until `afterBytes` have come (or it ended), then resets the TCP connection. */
function resetMidBody(req: IncomingMessage, afterBytes: number): void {
  let seen = 0;
  const reset = () => {
    if (!req.socket.destroyed) req.socket.resetAndDestroy();
  };
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen >= afterBytes) reset();
  });
  req.on('end', reset);
}

/**
 * Lets the handler run, then withholds its answer (hang), resets the connection instead
 * (drop), sends a 200 that is not its JSON (malformed), a gateway's error page (gateway) or
 * breaks its body off (cut).
 */
function spoilAnswer(res: ServerResponse, fault: HangFault | DropFault | MalformedFault | GatewayFault | CutFault): void {
  const writeHead = res.writeHead.bind(res) as (status: number, headers: Record<string, string | number>) => ServerResponse;
  const write = res.write.bind(res) as (chunk: Buffer, done: () => void) => boolean;
  const end = res.end.bind(res) as (chunk?: string | Buffer) => ServerResponse;
  let head: [number, Record<string, string | number>] = [200, {}];
  (res as { writeHead: unknown }).writeHead = (status: number, headers: Record<string, string | number> = {}) => {
    head = [status, headers];
    return res;
  };
  (res as { write: unknown }).write = () => true;
  (res as { end: unknown }).end = (chunk?: unknown) => {
    if (fault.kind === 'hang') return res;
    if (fault.kind === 'cut') {
      const body = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from((chunk ?? new Uint8Array(0)) as Uint8Array);
      writeHead(...head);
      write(body.subarray(0, fault.afterBytes ?? Math.floor(body.length / 2)), () => res.socket?.destroy());
      return res;
    }
    if (fault.kind === 'drop') {
      if (!res.socket?.destroyed) res.socket?.resetAndDestroy();
      return res;
    }
    if (fault.kind === 'gateway') {
      const status = fault.status ?? 504;
      const page = `<html><head><title>${status} Gateway</title></head><body><h1>${status}</h1><p>The upstream server did not answer in time.</p></body></html>`;
      writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page) });
      return end(page);
    }
    const whole = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : '';
    const truncated = fault.body === 'truncated';
    const text = truncated ? whole.slice(0, Math.max(1, Math.floor(whole.length / 2))) : PROXY_PAGE;
    writeHead(200, { 'Content-Type': truncated ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    return end(text);
  };
}
