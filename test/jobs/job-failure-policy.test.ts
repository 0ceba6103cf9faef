// The job runner's verdict on a failed attempt, as a table: who has to act decides whether
// the job waits (uncounted), retries (counted) or fails.
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { decideJobFailure, type JobFailureVerdict } from '../../src/jobs/job-failure-policy.ts';
import { waitDelayMs } from '../../src/jobs/retry-delay.ts';

const HOUR = 3_600_000;
const base = { maxAttempts: 3, retryBaseMs: 1_000, operatorRetryMs: 300_000, random: () => 1 };
const failure = (kind: SignrelayError['kind'], code: string, retryAfterSeconds?: number) =>
  new SignrelayError(kind, code, `${code} happened`, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });

describe('decideJobFailure', () => {
  it.each<[string, unknown, number, number, JobFailureVerdict]>([
    ['SMTP server down, fresh job', failure('transient', 'smtp_unavailable'), 0, 0, { action: 'wait', for: 'infrastructure', delayMs: 1_000 }],
    ['SMTP server down for an hour, many tries', failure('transient', 'smtp_unavailable'), 50, HOUR, { action: 'wait', for: 'infrastructure', delayMs: 30 * 60_000 }],
    ['SMTP connection ended after the message may have gone: counted, so repeats are bounded', failure('transient', 'smtp_dropped'), 0, 0, { action: 'retry', delayMs: 1_000 }],
    ['SMTP connection ended again and again: given up', failure('transient', 'smtp_dropped'), 2, 0, { action: 'fail', reason: 'gave up after 3 attempts: smtp_dropped happened' }],
    ['data dir full', failure('transient', 'storage_full'), 2, 10_000, { action: 'wait', for: 'infrastructure', delayMs: 10_000 }],
    ['database locked', failure('transient', 'storage_busy'), 2, 0, { action: 'wait', for: 'infrastructure', delayMs: 1_000 }],
    ['the company\'s HTTP proxy down, however long: nothing reached the service', failure('transient', 'servicenow_proxy_unreachable'), 2, HOUR, { action: 'wait', for: 'infrastructure', delayMs: 30 * 60_000 }],
    ['the proxy down under the SMTP login\'s OAuth2 token', failure('transient', 'mail_oauth_proxy_unreachable'), 2, 0, { action: 'wait', for: 'infrastructure', delayMs: 1_000 }],
    ['the proxy could not reach the service (502): the service\'s outage, counted, and given up after a day', failure('transient', 'provider_unreachable'), 2, 25 * HOUR, { action: 'fail', reason: 'gave up after 3 attempts over 25 h: provider_unreachable happened' }],
    ['credentials refused', failure('auth', 'provider_auth'), 0, 0, { action: 'wait', for: 'operator', delayMs: 300_000 }],
    ['certificate not trusted', failure('config', 'smtp_tls_verify'), 7, 0, { action: 'wait', for: 'operator', delayMs: 300_000 }],
    ['operator fix pending for hours', failure('config', 'smtp_tls_verify'), 7, 4 * HOUR, { action: 'wait', for: 'operator', delayMs: 30 * 60_000 }],
    ['a lost send waiting for its notice, asked again as it says', failure('transient', 'provider_send_unconfirmed', 10), 9, HOUR, { action: 'wait', for: 'scheduled', delayMs: 10_000 }],
    ['a scheduled wait without a Retry-After: the base delay', failure('transient', 'provider_send_unconfirmed'), 2, 0, { action: 'wait', for: 'scheduled', delayMs: 1_000 }],
    ['provider 503, first time', failure('transient', 'provider_unavailable'), 0, 0, { action: 'retry', delayMs: 1_000 }],
    ['provider 429 with Retry-After', failure('transient', 'provider_throttled', 90), 1, 0, { action: 'retry', delayMs: 90_000 }],
    ['an unexpected throw counts as transient', new TypeError('x is undefined'), 0, 0, { action: 'retry', delayMs: 1_000 }],
    ['provider 503, out of attempts after a day', failure('transient', 'provider_unavailable'), 2, 25 * HOUR, { action: 'fail', reason: 'gave up after 3 attempts over 25 h: provider_unavailable happened' }],
    // ServiceNow review M3: a maintenance window of a few hours used up the attempts in one, and failed signed deliveries.
    ['the instance down for two hours, out of attempts: retried on, at the longest backoff', failure('transient', 'servicenow_unavailable'), 20, 2 * HOUR, { action: 'retry', delayMs: 4_000 }],
    ['the instance unreachable, out of attempts, the job a day old: given up', failure('transient', 'servicenow_unreachable'), 40, 24 * HOUR, { action: 'fail', reason: 'gave up after 41 attempts over 24 h: servicenow_unreachable happened' }],
    ['another transient failure out of attempts is given up at once', failure('transient', 'servicenow_bad_answer'), 2, 2 * HOUR, { action: 'fail', reason: 'gave up after 3 attempts over 2 h: servicenow_bad_answer happened' }],
    ['refused for good', failure('permanent', 'provider_rejected'), 0, 0, { action: 'fail', reason: 'provider_rejected happened' }],
    ['bad input', failure('input', 'pdf_damaged'), 0, 0, { action: 'fail', reason: 'pdf_damaged happened' }],
  ])('%s', (_name, error, attempts, ageMs, verdict) => {
    expect(decideJobFailure({ ...base, error, attempts, ageMs })).toEqual(verdict);
  });

  it('keeps waiting however many attempts were counted before the outage', () => {
    expect(decideJobFailure({ ...base, error: failure('transient', 'smtp_unavailable'), attempts: 99, ageMs: 0 }).action).toBe('wait');
  });
});

describe('waitDelayMs', () => {
  it.each([
    [0, 0, 500], [0, 1, 1_000], [4_000, 0, 2_000], [4_000, 1, 4_000], [10 * HOUR, 1, 30 * 60_000],
  ])('a job %i ms old, random %f, waits %i ms', (ageMs, r, expected) => {
    expect(waitDelayMs(ageMs, { baseMs: 1_000, random: () => r })).toBe(expected);
  });

  it('never waits less than Retry-After', () => {
    expect(waitDelayMs(0, { baseMs: 1_000, random: () => 0, retryAfterSeconds: 60 })).toBe(60_000);
  });
});
