// The error answers of the simulated Sign API. Signicat's published shape for its REST
// errors is a problem document — `{type, title, status, detail}` (OpenAPI samples), with
// `code` and `traceId` (the SDK's SignicatError) — and a create-order refusal adds
// `violations[{propertyPath, message}]` (the SDK's EnterpriseValidationError; one public
// client reads `title` beside them). The `title` and `code` words, and the media type
// application/problem+json, are unconfirmed: a client should read status and violations.
import { randomBytes } from 'node:crypto';
import { HttpProblem } from '../http-util.ts';

export interface Violation {
  propertyPath: string;
  message: string;
}

const PROBLEM_HEADERS = { 'Content-Type': 'application/problem+json' };

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

const traceId = () => randomBytes(16).toString('hex');

export function problemBody(status: number, detail: string, code?: string): Record<string, unknown> {
  return { type: 'about:blank', title: TITLES[status] ?? `HTTP ${status}`, status, detail, ...(code ? { code } : {}), traceId: traceId() };
}

export function signicatProblem(status: number, detail: string, code?: string, headers: Record<string, string> = {}): HttpProblem {
  return new HttpProblem(status, problemBody(status, detail, code), detail, { ...PROBLEM_HEADERS, ...headers });
}

export function violationsProblem(violations: Violation[]): HttpProblem {
  const body = { type: 'about:blank', title: 'Constraint Violation', status: 400, violations, traceId: traceId() };
  return new HttpProblem(400, body, violations.map((v) => `${v.propertyPath}: ${v.message}`).join('; '), PROBLEM_HEADERS);
}

export const notFound = (what: string) => signicatProblem(404, `${what} was not found`, 'NOT_FOUND');
