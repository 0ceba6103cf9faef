// Which LIST entry a configured folder name stands for — the one rule the watcher's folder
// creation and `signrelay check` share: as written, under the namespace's prefix, INBOX in
// any case; and which entries hold no mail.
import { describe, expect, it } from 'vitest';
import { childrenOf, holdsNoMail, isNameOnly, listedFolder, type ListedEntry } from '../../src/mail/listed-folder.ts';

const entry = (path: string, flags: string[] = [], delimiter = '.'): ListedEntry =>
  ({ path, flags: new Set(flags), parentPath: path.includes(delimiter) ? path.slice(0, path.lastIndexOf(delimiter)) : '' });

// A Courier/Cyrus/cPanel server: personal namespace `INBOX.`, separator `.`.
const prefixed = [entry('INBOX'), entry('INBOX.Signing'), entry('INBOX.Processed'), entry('Shared.Signing')];
// Dovecot's default: no prefix, separator `/`; Signing exists only as the parent of Signing/Incoming.
const plain = [entry('INBOX', [], '/'), entry('Returns', [], '/'), entry('Signing', ['\\Noselect', '\\NonExistent', '\\HasChildren'], '/'), entry('Signing/Incoming', [], '/')];

describe('listedFolder', () => {
  it.each([
    ['without the prefix', prefixed, 'Signing', 'INBOX.', 'INBOX.Signing'],
    ['with the prefix', prefixed, 'INBOX.Processed', 'INBOX.', 'INBOX.Processed'],
    ['INBOX in lower case', prefixed, 'inbox', 'INBOX.', 'INBOX'],
    ['INBOX spelt Inbox, no prefix', plain, 'Inbox', '', 'INBOX'],
    ['a name as listed, no prefix', plain, 'Returns', '', 'Returns'],
    ['a parent listed for its children', plain, 'Signing', '', 'Signing'],
    ['not there', prefixed, 'Rejected', 'INBOX.', undefined],
    ['not there: another case is another folder', plain, 'returns', '', undefined],
  ])('%s', (_name, listed, folder, prefix, path) => {
    expect(listedFolder(listed, folder, prefix)?.path).toBe(path);
  });
});

describe('what a listed entry holds', () => {
  it('a \\NonExistent parent is a name only and holds no mail; a \\Noselect one holds none but exists; a folder holds mail', () => {
    const signing = listedFolder(plain, 'Signing', '')!;
    expect([isNameOnly(signing), holdsNoMail(signing)]).toEqual([true, true]);
    const parent = entry('Archive', ['\\NoSelect', '\\HasChildren']);
    expect([isNameOnly(parent), holdsNoMail(parent)]).toEqual([false, true]);
    expect(holdsNoMail(listedFolder(plain, 'Returns', '')!)).toBe(false);
  });

  it('names the children of a parent as the operator writes the folder: without the prefix when it was written without', () => {
    expect(childrenOf(plain, listedFolder(plain, 'Signing', '')!, 'Signing', '')).toEqual(['Signing/Incoming']);
    const listed = [...prefixed, entry('INBOX.Sign', ['\\Noselect']), entry('INBOX.Sign.In'), entry('INBOX.Sign.Old', ['\\Noselect'])];
    expect(childrenOf(listed, listedFolder(listed, 'Sign', 'INBOX.')!, 'Sign', 'INBOX.')).toEqual(['Sign.In']);
    expect(childrenOf(listed, listedFolder(listed, 'INBOX.Sign', 'INBOX.')!, 'INBOX.Sign', 'INBOX.')).toEqual(['INBOX.Sign.In']);
  });
});
