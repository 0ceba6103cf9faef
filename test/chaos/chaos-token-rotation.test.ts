// A kill at a Secured Signing refresh-token rotation: the rotated token is lost with the daemon,
// a limitation no client can fix, and the operator alert must say exactly that (suite-runs.ts).
// Then the fix the alert names: a new refresh token in the configuration, and the work goes on
// (the crash-safety runs apply it when one of their kills happens to land there).
import { describe, expect, it } from 'vitest';
import { chaos, log, seed } from './suite-runs.ts';

describe('crash safety under SIGKILL', () => {
  it('a kill at a refresh-token rotation: the work waits and the operator alert names the spent token and the fix', async () => {
    // The kill waits for the first token answer as long as the daemon keeps moving, however busy the
    // machine — never for a clock moment (effectWaitMs Infinity); only a stall would end the wait (fallback:token, rejected below).
    const { report, summary } = await chaos({ requests: 2, kills: 1, seed, targets: ['token'], targetedShare: 1, effectWaitMs: Number.POSITIVE_INFINITY, settleCapMs: 60_000, keepDir: 'on-failure', log });
    expect(report.killLog.map((k) => k.mode), summary).toEqual(['effect:token']);
    expect(report.problems, summary).toEqual([]);
    // verify.ts recognised the lock-out only because the alert named the spent token (sha256 prefix), what was lost and provider.refresh_token.
    expect(report.lockoutAlert, summary).toMatch(/sha256 [0-9a-f]{12}….*was never saved.*run `signrelay authorize --config [^`]+` \(or put a new refresh token in provider\.refresh_token and `systemctl restart signrelay`\)/s);
    expect({ lost: report.lost, lostToLockout: report.lostToLockout, duplicateSends: report.duplicateSends }, summary).toEqual({ lost: 2, lostToLockout: 2, duplicateSends: 0 });
    // One life (up within READY_WAIT_MS, then the token answer while anything moves), the settle's 60 s cap, the stop and the world's set-up: room for a loaded box.
  }, 300_000);

  it('the fix the alert names — a new refresh token in the configuration — lets the next daemon do all the work', async () => {
    const { report, summary } = await chaos({ requests: 2, kills: 1, seed, targets: ['token'], targetedShare: 1, effectWaitMs: Number.POSITIVE_INFINITY, reauthorize: true, lookBetweenSignatures: 0, settleCapMs: 180_000, keepDir: 'on-failure', log });
    expect(report.killLog.map((k) => k.mode), summary).toEqual(['effect:token']);
    expect(report.reauthorizations, summary).toBe(1);
    expect(report.problems, summary).toEqual([]);
    expect(report.lockoutAlert, summary).toBeNull();
    expect({ delivered: report.delivered, lost: report.lost, duplicateSends: report.duplicateSends }, summary).toEqual({ delivered: 2, lost: 0, duplicateSends: 0 });
  }, 300_000);
});
