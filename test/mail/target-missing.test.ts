// When a refused MOVE or COPY is tried again after creating its target folder: when the server
// said the target does not exist, or said no code (not for a right or a quota). On a server without MOVE, a mail whose COPY was made
// and whose delete was refused came back `false` from imapflow's fallback, and the retry
// copied it a second time (imap variants review L3; on Dovecot in test/faults/imap-no-move-kept.test.ts).
import { describe, expect, it } from 'vitest';
import { targetMissing } from '../../src/mail/watch-pass.ts';

describe('targetMissing', () => {
  it.each([
    ['TRYCREATE', true],
    ['NONEXISTENT', true],
    ['NOPERM', false],
    ['OVERQUOTA', false],
    ['LIMIT', false],
    [undefined, true],
  ])('the server\'s code %s: tried again after creating the folder: %s', (code, expected) => {
    expect(targetMissing(code)).toBe(expected);
  });
});
