// Which failures are the data directory's (the work waits, uncounted, and the message names
// storage.data_dir and the fix) — looked for through a plain wrapper's causes, as a file
// system error often arrives wrapped — and which are not.
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { failureKind } from '../../src/mail/with-attempt-limit.ts';
import { storageFailure } from '../../src/store/storage-failure.ts';

const context = { dataDir: '/var/lib/signrelay', busyTimeoutMs: 5_000 };
const coded = (code: string, message = `${code}: something`) => Object.assign(new Error(message), { code });

describe('storageFailure', () => {
  it('names a damaged database and how to restore it', () => {
    const failure = storageFailure(coded('SQLITE_CORRUPT', 'database disk image is malformed'), context)!;
    expect(failure).toMatchObject({ kind: 'transient', code: 'storage_damaged' });
    expect(failure.message).toBe('storage.data_dir /var/lib/signrelay holds a damaged database (signrelay.db): stop signrelay, and restore the file from a backup (docs/operations.md, Backup) (SQLITE_CORRUPT: database disk image is malformed). The work waits and is retried.');
    expect(storageFailure(coded('SQLITE_NOTADB'), context)?.code).toBe('storage_damaged');
  });

  it('names a file this user may not write, with the chown that gives it back', () => {
    const failure = storageFailure(coded('EACCES', "EACCES: permission denied, mkdir '/var/lib/signrelay/blobs/39'"), context)!;
    expect(failure.code).toBe('storage_permission');
    expect(failure.message).toContain('give it back to the signrelay user (chown -R signrelay: /var/lib/signrelay)');
  });

  it('looks through a plain wrapper\'s causes, not through a SignrelayError, which says itself whose failure it is', () => {
    const wrapped = new Error('the mail could not be stored', { cause: new Error('writing', { cause: coded('ENOSPC') }) });
    expect(storageFailure(wrapped, context)).toMatchObject({ code: 'storage_full', message: expect.stringContaining('is full: free space on its filesystem (ENOSPC: something)') });
    expect(failureKind(wrapped)).toBe('infrastructure');
    const decided = new SignrelayError('input', 'pdf_unreadable', 'not a PDF', { cause: coded('ENOSPC') });
    expect(storageFailure(decided, context)).toBeUndefined();
    expect(failureKind(decided)).toBe('processing');
    expect(failureKind(new Error('a parser choked'))).toBe('processing');
  });
});
