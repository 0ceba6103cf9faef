// Pure: how full an account is, from its server's GETQUOTAROOT answer, and the levels signrelay warns at.
import { describe, expect, it } from 'vitest';
import { describeQuota, fullestQuota, quotaConsequence, quotaLevel, quotaUsageOf } from '../src/mail-quota.ts';

const MB = 1024 * 1024;

describe('fullestQuota: every root, every limit, the fullest judged (diff review 26 M1, L1)', () => {
  it('judges a 97 % User quota, not the roomy Domain quota its server names after it', () => {
    expect(fullestQuota([
      { root: 'User quota', values: ['STORAGE', '993', '1024'] },
      { root: 'Domain quota', values: ['STORAGE', '993', '102400'] },
    ])).toEqual({ resource: 'storage', used: 993 * 1024, limit: 1024 * 1024, root: 'User quota' });
  });

  it('judges a message limit when it is the fuller one', () => {
    expect(fullestQuota([{ root: 'User quota', values: ['STORAGE', '10', '102400', 'MESSAGE', '5', '5'] }]))
      .toEqual({ resource: 'messages', used: 5, limit: 5, root: 'User quota' });
  });

  it.each([
    ['no limit (0)', [{ root: '', values: ['STORAGE', '5', '0'] }]],
    ['an unknown resource only', [{ root: 'x', values: ['MAILBOX', '5', '6'] }]],
    ['a value that is no count', [{ root: 'x', values: ['STORAGE', '1e5', '100'] }]],
    ['nothing', []],
  ])('%s: null', (_what, lines) => {
    expect(fullestQuota(lines)).toBeNull();
  });

  it('names an empty root (Gmail) as none', () => {
    expect(fullestQuota([{ root: null, values: ['STORAGE', '512', '1024'] }])).toMatchObject({ root: null, used: 512 * 1024 });
  });
});

describe('quotaUsageOf (imapflow\'s own answer, one root)', () => {
  it.each([
    ['a storage usage and limit', { path: 'INBOX', quotaRoot: 'User quota', storage: { usage: 300 * MB, limit: 400 * MB } }, { resource: 'storage', used: 300 * MB, limit: 400 * MB, root: 'User quota' }],
    ['no answer (no QUOTA, or refused)', false, null],
    ['the fuller of storage and message count', { path: 'INBOX', storage: { usage: 1, limit: 400 }, message: { usage: 9, limit: 10 } }, { resource: 'messages', used: 9, limit: 10, root: null }],
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
    expect(quotaLevel({ used: percent * MB, limit: 100 * MB })).toBe(level);
  });

  it('is described as the operator reads it, never rounded up to a threshold', () => {
    expect(describeQuota({ resource: 'storage', used: 94.9 * MB, limit: 100 * MB })).toBe('storage 94.9 MB of 100.0 MB (94 %)');
    expect(describeQuota({ resource: 'storage', used: 41 * 1024 * MB, limit: 50 * 1024 * MB })).toBe('storage 41.0 GB of 50.0 GB (82 %)');
    expect(describeQuota({ resource: 'messages', used: 4990, limit: 5000 })).toBe('messages 4,990 of 5,000 (99 %)');
  });
});

describe('quotaConsequence: true at each level (a server takes what fits under its limit and grace; diff review 26 M2)', () => {
  it('says every mail bounces only at the quota', () => {
    expect(quotaConsequence(0.85)).toMatch(/^the larger request mails may already bounce back to their requesters/);
    expect(quotaConsequence(0.97)).toMatch(/^request mails will bounce back to their requesters.*the larger ones first.*every one once the account reaches it$/);
    expect(quotaConsequence(1.13)).toMatch(/^the account is at its quota: the mail server refuses new mail to it/);
    for (const ratio of [0.85, 0.97]) expect(quotaConsequence(ratio)).not.toMatch(/refuses new mail to it|each request mail bounces/);
  });
});
