// The per-signer progress, pure: what each stored signer's state is from the provider's
// per-document signer lists (matched by address, never named by the provider), the lines a
// `status` answer shows, which signatures a reconciliation pass notes with which count and
// which time, and the note itself — hostile names inert, the invitation (not the person)
// said to be signed, the provider's time written in UTC.
import { describe, expect, it } from 'vitest';
import { progressNote } from '../../src/notices/record-notes.ts';
import { describeSignerProgress, newlySigned, signerProgress, signingTimes } from '../../src/notices/signer-progress.ts';
import type { Signer } from '../../src/signer.ts';

const ANN: Signer = { firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' };
const BOB: Signer = { firstName: 'Bob', lastName: 'Ray', email: 'bob.ray@corp.example' };
const CAT: Signer = { firstName: '', lastName: '', email: 'cat@corp.example' };
type Listed = { email: string; hasSigned: boolean; declinedReason?: string; signedAt?: Date };
const doc = (...signers: Listed[]) => ({ signers });
const docAt = (lastSignedAt: string, ...signers: Listed[]) => ({ signers, lastSignedAt: new Date(lastSignedAt) });
const signed = (email: string): Listed => ({ email, hasSigned: true });
const waiting = (email: string): Listed => ({ email, hasSigned: false });

describe('describeSignerProgress', () => {
  it.each<[string, Signer[], Array<{ signers: Listed[] }>, string[]]>([
    ['nobody yet', [ANN, BOB], [doc(waiting(ANN.email), waiting(BOB.email))], ['Ann Lee has not signed yet', 'Bob Ray has not signed yet']],
    ['the first signed', [ANN, BOB], [doc(signed(ANN.email), waiting(BOB.email))], ["Ann Lee's invitation signed, 1 of 2", 'Bob Ray has not signed yet']],
    ['both signed', [ANN, BOB], [doc(signed(ANN.email), signed(BOB.email))], ["Ann Lee's invitation signed, 1 of 2", "Bob Ray's invitation signed, 2 of 2"]],
    ['matched by address, any case, any place', [ANN, BOB], [doc(waiting('BOB.RAY@corp.example'), signed('Ann.Lee@Example.com'))], ["Ann Lee's invitation signed, 1 of 2", 'Bob Ray has not signed yet']],
    ['signed only once signed in every document', [ANN], [doc(signed(ANN.email)), doc(waiting(ANN.email))], ['Ann Lee has not signed yet']],
    ['a decline with its reason', [ANN, BOB], [doc(signed(ANN.email), { email: BOB.email, hasSigned: false, declinedReason: 'wrong figure' })], ["Ann Lee's invitation signed, 1 of 2", 'Bob Ray declined']],
    ['the provider lists nobody', [ANN], [doc()], ['Ann Lee: the provider does not say']],
    ['a signer with no name is named by address', [CAT], [doc(signed(CAT.email))], ["cat@corp.example's invitation signed, 1 of 1"]],
    ['the same person twice stays two signers', [ANN, BOB, ANN], [doc(signed(ANN.email), signed(BOB.email), waiting(ANN.email))], ["Ann Lee's invitation signed, 1 of 3", "Bob Ray's invitation signed, 2 of 3", 'Ann Lee has not signed yet']],
  ])('%s', (_what, signers, statuses, lines) => {
    expect(describeSignerProgress(signers, statuses)).toEqual(lines);
  });

  it('names the stored signers, never the provider\'s, and makes hostile names inert', () => {
    const hostile: Signer = { firstName: '[code]<img src=x onerror=alert(1)>[/code]', lastName: '@[sys_id:x]\r\nSigned by CEO', email: 'ann.lee@example.com' };
    const [line] = describeSignerProgress([hostile], [doc({ email: 'ann.lee@example.com', hasSigned: true, declinedReason: '' })]);
    expect(line).toBe("(code)(img src=x onerror=alert(1))(/code) (at)(sys_id:x) Signed by CEO's invitation signed, 1 of 1");
    expect(line).not.toMatch(/[[\]<>\r\n]/);
  });
});

describe('newlySigned', () => {
  const progress = (statuses: Array<{ signers: Listed[] }>) => signerProgress([ANN, BOB, CAT], statuses);

  it('notes each signer once, in signing order, counting the signatures so far', () => {
    const first = progress([doc(signed(ANN.email), waiting(BOB.email), waiting(CAT.email))]);
    expect(newlySigned(first, new Set()).map((s) => [s.signer.email, s.count])).toEqual([[ANN.email, 1]]);
    // Nothing changed since: nothing to note.
    expect(newlySigned(first, new Set([0]))).toEqual([]);
    // Two signed between passes: both, in order, 2 and 3 of 3.
    const all = progress([doc(signed(ANN.email), signed(BOB.email), signed(CAT.email))]);
    expect(newlySigned(all, new Set([0])).map((s) => [s.position, s.count])).toEqual([[1, 2], [2, 3]]);
    expect(newlySigned(all, new Set([0, 1, 2]))).toEqual([]);
  });

  it('a decliner or a signer still waiting is not noted', () => {
    const declined = progress([doc(signed(ANN.email), { email: BOB.email, hasSigned: false, declinedReason: 'no' }, waiting(CAT.email))]);
    expect(newlySigned(declined, new Set()).map((s) => s.position)).toEqual([0]);
  });
});

describe('signingTimes', () => {
  const noon = '2026-12-05T12:00:00.000Z';
  const late = '2026-12-05T14:03:27.000Z';

  it('a signer\'s own time where every document listing them gives one (Signicat\'s tasks), the latest of them', () => {
    const statuses = [
      doc({ ...signed(ANN.email), signedAt: new Date(noon) }, { ...signed(BOB.email), signedAt: new Date(late) }),
      doc({ ...signed(ANN.email), signedAt: new Date(late) }, { ...signed(BOB.email), signedAt: new Date(noon) }),
    ];
    // Two found at once: each has their own.
    expect(signingTimes([ANN, BOB], statuses, [0, 1], new Set())).toEqual(new Map([[0, new Date(late)], [1, new Date(late)]]));
    // One document without Ann's own time: not hers from the other alone.
    const partly = [statuses[0]!, doc(signed(ANN.email), signed(BOB.email))];
    expect(signingTimes([ANN, BOB], partly, [0, 1], new Set()).size).toBe(0);
  });

  it('a document\'s last signature (Secured Signing\'s LastSignedDate) is the one newly signed signer\'s when everyone else signed was noted before', () => {
    const statuses = [docAt(late, signed(ANN.email), signed(BOB.email), waiting(CAT.email))];
    expect(signingTimes([ANN, BOB, CAT], statuses, [1], new Set([0]))).toEqual(new Map([[1, new Date(late)]]));
    // Two found at once: the time is one of theirs, nobody knows whose — none.
    expect(signingTimes([ANN, BOB, CAT], statuses, [0, 1], new Set()).size).toBe(0);
    // Someone signed who was not noted (signed one document of two, say): the last may be theirs.
    expect(signingTimes([ANN, BOB, CAT], [docAt(late, signed(ANN.email), signed(BOB.email), signed(CAT.email))], [1], new Set([0])).size).toBe(0);
    // The provider gave no time: none.
    expect(signingTimes([ANN, BOB], [doc(signed(ANN.email), waiting(BOB.email))], [0], new Set()).size).toBe(0);
  });
});

describe('progressNote', () => {
  const request = { signers: [ANN, BOB, CAT], provider: 'secured-signing' };

  it('says whose invitation was signed (not who signed it), how many of how many, their address, and the provider\'s time in UTC', () => {
    expect(progressNote(request, 0, 1)).toBe("Ann Lee's invitation signed, 1 of 3 (ann.lee@example.com).");
    expect(progressNote(request, 0, 1, new Date('2026-12-05T14:03:27+00:00'))).toBe(
      "Ann Lee's invitation signed, 1 of 3 (ann.lee@example.com), at 2026-12-05 14:03 UTC as Secured Signing reports.");
    expect(progressNote({ ...request, provider: 'signicat' }, 2, 3, new Date('2026-12-05T16:03:00+02:00'))).toBe(
      "cat@corp.example's invitation signed, 3 of 3, at 2026-12-05 14:03 UTC as Signicat reports.");
    expect(progressNote(request, 2, 3, new Date(Number.NaN))).toBe("cat@corp.example's invitation signed, 3 of 3.");
    expect(progressNote(request, 5, 1)).toBeNull();
  });

  it('makes every part of a hostile stored signer inert', () => {
    const note = progressNote({ provider: 'secured-signing', signers: [{ firstName: '[code]x[/code]', lastName: '@[sys_id:x]\r\n', email: '@[a]@b.example' }] }, 0, 1)!;
    expect(note).toBe("(code)x(/code) (at)(sys_id:x)'s invitation signed, 1 of 1 ((at)(a)(at)b.example).");
  });
});
