// Crash safety under SIGKILL with Secured Signing: 50 requests, 10 kills (suite-runs.ts says how).
import { describe, expect, it } from 'vitest';
import { chaos, expectNothingLostOrDoubled, seed, SUITE, SUITE_TIMEOUT_MS } from './suite-runs.ts';

describe('crash safety under SIGKILL', () => {
  it(`${SUITE.requests} requests, ${SUITE.kills} kills (seed ${seed}): each delivered once, sent once, every mail filed once`, async () => {
    const { report, summary } = await chaos(SUITE);
    expectNothingLostOrDoubled(report, summary, 10);
    // The first requests' second signers wait for the daemon's look after the first
    // (lookBetweenSignatures): some signatures are noted on their own, each checked exactly once (verify-record-updates.ts).
    expect(report.signerNotes, summary).toBeGreaterThan(0);
  }, SUITE_TIMEOUT_MS);
});
