// What the job runner does with a failed attempt — pure, so the rules read as a table.
// - `wait`: the job cannot succeed until something outside it is fixed: credentials or
//   settings an operator must correct, or a service of our own that is down (the SMTP
//   server). It waits without limit and the attempt is not counted, so a long outage
//   never uses up the attempts a later, real failure is entitled to. Also a wait the
//   handler itself schedules (SCHEDULED_WAIT_CODES): asked again when it says, uncounted.
// - `retry`: a transient failure of the remote side; counted, with backoff. A service that is
//   down (OUTAGE_CODES: unavailable, unreachable, failing) is retried past the attempts, every
//   half hour or so, until the job is OUTAGE_PATIENCE_MS old: a maintenance window of a few
//   hours must not fail a signed document's delivery (ServiceNow review M3).
// - `fail`: permanent, bad input, or out of attempts.
import { describeError, isSignrelayError } from '../errors.ts';
import type { JobWait } from '../store/jobs.ts';
import { STORAGE_FAILURE_CODES } from '../store/storage-failure.ts';
import { JOB_BASE_DELAY_MS, retryDelayMs, waitDelayMs } from './retry-delay.ts';

/**
 * Failures that mean "our own infrastructure is down", whatever the job: the work waits for
 * it instead of being given up (a reply must not be lost to an SMTP outage or a full disk).
 */
export const WAIT_FOR_INFRASTRUCTURE_CODES: ReadonlySet<string> = new Set(['smtp_unavailable', ...STORAGE_FAILURE_CODES]);

/**
 * The company's HTTP proxy that cannot be reached (`provider_proxy_unreachable`,
 * `servicenow_proxy_unreachable`, `mail_oauth_proxy_unreachable`, …) is our own
 * infrastructure too, and nothing reached the service behind it: waiting is safe.
 */
function waitsForInfrastructure(code: string): boolean {
  return WAIT_FOR_INFRASTRUCTURE_CODES.has(code) || code.endsWith('_proxy_unreachable');
}

/**
 * Transient failures that are a wait with an end the handler knows, not a fault: the job
 * asks again when the error says (its Retry-After, else the base delay), and the attempt is
 * not counted. Signicat's lost send waiting for its order's creation notice
 * (provider.send_notice_wait_seconds; the handler stops waiting once that has passed) must
 * neither back off exponentially past the wait's end nor use up the attempts the send
 * itself may need after it. Likewise an attachment upload, a work note or a status field
 * update whose answer was lost, while the instance may still be carrying it out
 * (servicenow.upload_settle_seconds): the record is looked at once that has passed.
 */
export const SCHEDULED_WAIT_CODES: ReadonlySet<string> = new Set(['provider_send_unconfirmed', 'servicenow_upload_settling']);

/** A service outage: the signing provider's or the instance's, whatever the call. */
const OUTAGE_CODES: ReadonlySet<string> = new Set(['provider', 'servicenow'].flatMap((service) =>
  ['unavailable', 'unreachable', 'server_error', 'timeout', 'rate_limited'].map((what) => `${service}_${what}`)));

/** How long a job is retried through an outage before it is given up (and the operators told). */
export const OUTAGE_PATIENCE_MS = 24 * 3_600_000;

export type JobFailureVerdict =
  | { action: 'wait'; for: JobWait; delayMs: number }
  | { action: 'retry'; delayMs: number }
  | { action: 'fail'; reason: string };

export interface JobFailureInput {
  error: unknown;
  /** Counted attempts before this one. */
  attempts: number;
  /** How long the job has existed: waits back off by it, as they are not counted. */
  ageMs: number;
  maxAttempts: number;
  retryBaseMs?: number | undefined;
  /** Shortest wait for an operator's fix. */
  operatorRetryMs: number;
  random?: () => number;
}

export function decideJobFailure(input: JobFailureInput): JobFailureVerdict {
  const { error } = input;
  const kind = isSignrelayError(error) ? error.kind : 'transient';
  const delay = { retryAfterSeconds: isSignrelayError(error) ? error.retryAfterSeconds : undefined, baseMs: input.retryBaseMs, random: input.random };
  if (kind === 'auth' || kind === 'config') {
    return { action: 'wait', for: 'operator', delayMs: Math.max(waitDelayMs(input.ageMs, delay), input.operatorRetryMs) };
  }
  if (isSignrelayError(error) && SCHEDULED_WAIT_CODES.has(error.code)) {
    return { action: 'wait', for: 'scheduled', delayMs: error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : input.retryBaseMs ?? JOB_BASE_DELAY_MS };
  }
  if (isSignrelayError(error) && waitsForInfrastructure(error.code)) {
    return { action: 'wait', for: 'infrastructure', delayMs: waitDelayMs(input.ageMs, delay) };
  }
  const attempt = input.attempts + 1;
  const outage = isSignrelayError(error) && OUTAGE_CODES.has(error.code) && input.ageMs < OUTAGE_PATIENCE_MS;
  if (kind === 'transient' && (attempt < input.maxAttempts || outage)) {
    return { action: 'retry', delayMs: retryDelayMs(Math.min(attempt, input.maxAttempts), delay) };
  }
  const message = describeError(error);
  const over = input.ageMs >= 3_600_000 ? ` over ${Math.round(input.ageMs / 3_600_000)} h` : '';
  return { action: 'fail', reason: kind === 'transient' ? `gave up after ${attempt} attempts${over}: ${message}` : message };
}
