// Whether the return mailbox is the request mailbox's account (diff review 26 L4): one account
// has one quota, so its problem, alert and check name the filing folders of both watchers —
// however the return login is given (its own user, password or auth), and the host spelt.
import { describe, expect, it } from 'vitest';
import { filingFoldersOf, sharesRequestAccount } from '../../src/config/return-account.ts';
import type { Config } from '../../src/config/schema.ts';

const requests = { host: 'imap.corp.example', port: 993, tls: true, tls_verify: true, user: 'sign', password: 'p1', folder: 'INBOX', processed_folder: 'Processed', rejected_folder: 'Rejected' };
const configWith = (returns: Record<string, unknown>) => ({ mailboxes: { requests, returns: { folder: 'Returns', processed_folder: 'Completed', unmatched_folder: 'Unmatched', ...returns } } }) as unknown as Config;

describe('sharesRequestAccount', () => {
  it.each([
    ['no login of its own', {}],
    ['the same user given again, with a password of its own', { user: 'sign', password: 'app-password' }],
    ['the same user in another case, on the host spelt with a final dot', { host: 'IMAP.corp.example.', user: 'Sign', port: 993 }],
    ['only an auth of its own', { auth: { type: 'password' } }],
  ])('one account: %s', (_what, returns) => {
    expect(sharesRequestAccount(configWith(returns))).toBe(true);
  });

  it.each([
    ['another user', { user: 'returns' }],
    ['another server', { host: 'imap.other.example', user: 'sign' }],
    ['another port', { port: 1993 }],
  ])('two accounts: %s', (_what, returns) => {
    expect(sharesRequestAccount(configWith(returns))).toBe(false);
  });
});

describe('filingFoldersOf', () => {
  it('names, for a watcher\'s account, the folders signrelay files into there: both watchers\' on one account', () => {
    const all = ['Processed', 'Rejected', 'Completed', 'Unmatched'];
    expect(filingFoldersOf(configWith({}))).toEqual({ requests: all, returns: all });
    expect(filingFoldersOf(configWith({ user: 'Sign', password: 'app-password' }))).toEqual({ requests: all, returns: all });
    expect(filingFoldersOf(configWith({ user: 'returns' }))).toEqual({ requests: ['Processed', 'Rejected'], returns: ['Completed', 'Unmatched'] });
  });
});
