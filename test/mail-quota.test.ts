// Pure: how full an account is, from its server's GETQUOTAROOT answer, and the levels signrelay warns at.
import { describe, expect, it } from 'vitest';
import { describeStorage, quotaLevel, quotaUsageOf } from '../src/mail-quota.ts';

const MB = 1024 * 1024;

describe('quotaUsageOf', () => {
  it.each([
    ['a storage usage and limit', { path: 'INBOX', quotaRoot: 'User quota', storage: { usage: 300 * MB, limit: 400 * MB } }, { usedBytes: 300 * MB, limitBytes: 400 * MB, root: 'User quota' }],
    ['no answer (no QUOTA, or refused)', false, null],
    ['only a message count', { path: 'INBOX', message: { usage: 5, limit: 10 } }, null],
    ['a limit of 0 (none)', { path: 'INBOX', storage: { usage: 5, limit: 0 } }, null],
    ['a usage missing', { path: 'INBOX', storage: { limit: 5 } }, null],
  ])('%s', (_what, answer, expected) => {
    expect(quotaUsageOf(answer as never)).toEqual(expected);
  });
});

describe('quotaLevel: a warning from 80 %, full from 95 % (Dovecot\'s example quota_warning levels)', () => {
  it.each([
    [0, 'ok'], [79.9, 'ok'], [80, 'nearly-full'], [94.9, 'nearly-full'], [95, 'full'], [113, 'full'],
  ])('%s %% is %s', (percent, level) => {
    expect(quotaLevel({ usedBytes: percent * MB, limitBytes: 100 * MB })).toBe(level);
  });

  it('is described as the operator reads it, never rounded up to a threshold', () => {
    expect(describeStorage({ usedBytes: 94.9 * MB, limitBytes: 100 * MB })).toBe('storage 94.9 MB of 100.0 MB (94 %)');
    expect(describeStorage({ usedBytes: 41 * 1024 * MB, limitBytes: 50 * 1024 * MB })).toBe('storage 41.0 GB of 50.0 GB (82 %)');
  });
});
