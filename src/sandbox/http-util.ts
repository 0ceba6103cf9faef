// Small helpers the sandbox's HTTP simulators share (node:http, no framework): read a
// body with a size cap, parse JSON / form-urlencoded / multipart (through the Fetch
// Request parser built into Node), and answer JSON. Only the simulators use this.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
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

export interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 and a free port; close() also drops idle keep-alive sockets. */
export async function listenLocal(handler: RequestListener): Promise<Listening> {
  const server = createServer(handler);
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
