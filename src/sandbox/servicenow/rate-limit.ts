// A rate-limit rule like a row of sys_rate_limit_rules (SERVICENOW.md "REST basics"):
// a fixed window per user; over it, 429 with Retry-After, X-RateLimit-Limit,
// X-RateLimit-Reset (Unix seconds) and X-RateLimit-Rule, and ServiceNow's error body.
// Kept apart so the counting can be read (and changed) without the routing around it.
import { snError } from './instance.ts';
import type { HttpProblem } from '../http-util.ts';

export interface RateLimitRule {
  requestsPerWindow: number;
  windowSeconds: number;
}

/** The rule's sys_id, as the real header carries it. */
export const RATE_LIMIT_RULE_ID = '3a6e0f7cdb0b3300a5f3f7d7e5961923';

export class RateLimiter {
  private readonly rule: RateLimitRule;
  private readonly counts = new Map<string, { windowStart: number; count: number }>();

  constructor(rule: RateLimitRule) {
    this.rule = rule;
  }

  /** Counts one request of `user`; returns the 429 to answer when it is over the limit. */
  check(user: string, api: string, now: number): HttpProblem | null {
    const windowMs = this.rule.windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const entry = this.counts.get(user);
    const current = entry && entry.windowStart === windowStart ? entry : { windowStart, count: 0 };
    this.counts.set(user, current);
    if (current.count < this.rule.requestsPerWindow) {
      current.count++;
      return null;
    }
    const resetMs = windowStart + windowMs;
    const per = this.rule.windowSeconds === 3600 ? 'hour' : `${this.rule.windowSeconds} seconds`;
    return snError(429, 'Rate limit exceeded', `Rate limit of ${this.rule.requestsPerWindow} requests per ${per} for ${api} exceeded`, {
      'Retry-After': String(Math.max(1, Math.ceil((resetMs - now) / 1000))),
      'X-RateLimit-Limit': String(this.rule.requestsPerWindow),
      'X-RateLimit-Reset': String(Math.ceil(resetMs / 1000)),
      'X-RateLimit-Rule': RATE_LIMIT_RULE_ID,
    });
  }
}
