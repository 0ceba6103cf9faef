// A watcher keeps nothing of a mail once it is filed: each mail's source, downloaded for its
// handler, is garbage as soon as the handler is done — while the IMAP session goes on. (It
// was not: every guarded IMAP call left a reaction holding its result on a promise that lived
// as long as the session, so a daemon grew by the size of every mail it read.) Checked with
// weak references and V8's collector, on a real Dovecot.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { waitFor } from '../support/wait-for.ts';
import { stopAllWatchers, testMail, watch } from './watcher-harness.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PASSWORD = 'memory-pass-7e20';
let dovecot: DovecotHandle;

beforeAll(async () => {
  dovecot = await startDovecot({ users: { memory: PASSWORD } });
});
afterEach(stopAllWatchers);
afterAll(async () => dovecot?.stop());

describe('a watcher\'s memory', () => {
  it('holds no downloaded mail after its handler is done, with the session still open', async () => {
    const sources: Array<WeakRef<Buffer>> = [];
    const { watcher } = watch(dovecot, 'memory', PASSWORD, {
      decide: (_message, source) => {
        sources.push(new WeakRef(source));
        return { moveTo: 'Processed' };
      },
    });
    const body = 'x'.repeat(76).concat('\r\n').repeat(4_000); // ~300 KB each
    for (let n = 1; n <= 4; n++) await dovecot.deliver('memory@corp.example', testMail(`big-${n}`, { body }));
    await waitFor(async () => sources.length === 4 && (await dovecot.list('memory', 'INBOX')).length === 0, { what: 'all four mails filed', timeoutMs: 60_000 });
    expect(watcher.status().state).not.toBe('stopped');
    for (let round = 0; round < 5 && sources.some((ref) => ref.deref()); round++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    expect(sources.map((ref) => (ref.deref() ? 'kept' : 'freed'))).toEqual(['freed', 'freed', 'freed', 'freed']);
  });
});
