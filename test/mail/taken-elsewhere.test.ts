// Whether a MOVE's answer says the mail was gone (another program took it): believed only of a
// server seen to name what it moves (COPYUID) on the connection — RFC 6851 says SHOULD, and a
// server that never names it would have had every mail reported taken (diff review 19 M2).
// The answer as a real Dovecot gives it is tested in imap-watcher.test.ts.
import { describe, expect, it } from 'vitest';
import { takenElsewhere } from '../../src/mail/watch-pass.ts';

describe('takenElsewhere', () => {
  it('a server that names what it moved: a MOVE that names nothing moved nothing', () => {
    const connection = {};
    expect(takenElsewhere(connection, true, { uidMap: new Map([[1, 1]]) }, 1)).toBe(false);
    expect(takenElsewhere(connection, true, {}, 2)).toBe(true);
    expect(takenElsewhere(connection, true, { uidMap: new Map([[3, 2]]) }, 4)).toBe(true);
  });

  it('a server never seen to name what it moved, or without UIDPLUS: nothing is said', () => {
    expect(takenElsewhere({}, true, {}, 1)).toBe(false);
    expect(takenElsewhere({}, true, {}, 2)).toBe(false);
    const withoutUidPlus = {};
    expect(takenElsewhere(withoutUidPlus, false, { uidMap: new Map([[1, 1]]) }, 1)).toBe(false);
    expect(takenElsewhere(withoutUidPlus, false, {}, 2)).toBe(false);
  });
});
