// The one error type of signrelay. Every outside client classifies its failures at its
// boundary into a kind; callers decide retry/reject/alert from the kind alone, and the
// message is written for the person who has to act on it (requester or operator).

export type ErrorKind =
  | 'transient' // network, timeout, 5xx, 429: retry later
  | 'permanent' // the remote side refused this for good (other 4xx)
  | 'auth' // credentials or tokens: an operator must act
  | 'config' // bad configuration: named setting + fix
  | 'input'; // bad request mail or file: the requester must act

export class SignrelayError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  /** Seconds the remote side asked us to wait (Retry-After), when it said so. */
  readonly retryAfterSeconds: number | undefined;
  /** A call that changes something may have been carried out although its answer was lost
   * (a timeout or a broken connection after the request went out): a retry could do it twice. */
  readonly outcomeUnknown: boolean;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number; outcomeUnknown?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'SignrelayError';
    this.kind = kind;
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
  }
}

export function isSignrelayError(err: unknown): err is SignrelayError {
  return err instanceof SignrelayError;
}

/** A short, stack-free description of any thrown value, for logs and job rows. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * The provider answered 429: it asked signrelay to wait (its Retry-After, bounded). The job
 * runner pauses its provider jobs; a sweep over many requests (reconcile, reminders) stops
 * there — the rest at its next run — rather than ask about each one into the limit.
 */
export function isProviderRateLimited(err: unknown): err is SignrelayError {
  return err instanceof SignrelayError && err.code === 'provider_rate_limited';
}

/** The call may have taken effect: the caller must not repeat it, nor record it as refused. */
export function isOutcomeUnknown(err: unknown): boolean {
  return err instanceof SignrelayError && err.outcomeUnknown;
}
