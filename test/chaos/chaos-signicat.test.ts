// Crash safety under SIGKILL with Signicat: 24 requests, 6 kills, one order per request (suite-runs.ts says how).
import { describe, expect, it } from 'vitest';
import { chaos, expectNothingLostOrDoubled, seed, SIGNICAT, SIGNICAT_TIMEOUT_MS } from './suite-runs.ts';

describe('crash safety under SIGKILL', () => {
  it(`Signicat: ${SIGNICAT.requests} requests, ${SIGNICAT.kills} kills (seed ${seed}): one order per request, each delivered once, every notice filed once`, async () => {
    const { report, summary } = await chaos(SIGNICAT);
    expect(report.provider, summary).toBe('signicat');
    expectNothingLostOrDoubled(report, summary, 5);
    // Every order mailed its creation notice and, once signed, its completion; the daemon filed exactly those (verify.ts).
    expect(report.providerMails, summary).toEqual({ notice: SIGNICAT.requests, completion: SIGNICAT.requests });
  }, SIGNICAT_TIMEOUT_MS);
});
