// The per-signer progress, pure: what each stored signer's state is from the provider's
// per-document signer lists (matched by address, never named by the provider), the lines a
// `status` answer shows, which signatures a reconciliation pass notes and with which count,
// and the note itself — hostile names inert.
import { describe, expect, it } from 'vitest';
import { progressNote } from '../../src/notices/record-notes.ts';
import { describeSignerProgress, newlySigned, signerProgress } from '../../src/notices/signer-progress.ts';
import type { Signer } from '../../src/signer.ts';

const ANN: Signer = { firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' };
const BOB: Signer = { firstName: 'Bob', lastName: 'Ray', email: 'bob.ray@corp.example' };
const CAT: Signer = { firstName: '', lastName: '', email: 'cat@corp.example' };
type Listed = { email: string; hasSigned: boolean; declinedReason?: string };
const doc = (...signers: Listed[]) => ({ signers });
const signed = (email: string): Listed => ({ email, hasSigned: true });
const waiting = (email: string): Listed => ({ email, hasSigned: false });

describe('describeSignerProgress', () => {
  it.each<[string, Signer[], Array<{ signers: Listed[] }>, string[]]>([
    ['nobody yet', [ANN, BOB], [doc(waiting(ANN.email), waiting(BOB.email))], ['Ann Lee has not signed yet', 'Bob Ray has not signed yet']],
    ['the first signed', [ANN, BOB], [doc(signed(ANN.email), waiting(BOB.email))], ['Ann Lee signed, 1 of 2', 'Bob Ray has not signed yet']],
    ['both signed', [ANN, BOB], [doc(signed(ANN.email), signed(BOB.email))], ['Ann Lee signed, 1 of 2', 'Bob Ray signed, 2 of 2']],
    ['matched by address, any case, any place', [ANN, BOB], [doc(waiting('BOB.RAY@corp.example'), signed('Ann.Lee@Example.com'))], ['Ann Lee signed, 1 of 2', 'Bob Ray has not signed yet']],
    ['signed only once signed in every document', [ANN], [doc(signed(ANN.email)), doc(waiting(ANN.email))], ['Ann Lee has not signed yet']],
    ['a decline with its reason', [ANN, BOB], [doc(signed(ANN.email), { email: BOB.email, hasSigned: false, declinedReason: 'wrong figure' })], ['Ann Lee signed, 1 of 2', 'Bob Ray declined']],
    ['the provider lists nobody', [ANN], [doc()], ['Ann Lee: the provider does not say']],
    ['a signer with no name is named by address', [CAT], [doc(signed(CAT.email))], ['cat@corp.example signed, 1 of 1']],
    ['the same person twice stays two signers', [ANN, BOB, ANN], [doc(signed(ANN.email), signed(BOB.email), waiting(ANN.email))], ['Ann Lee signed, 1 of 3', 'Bob Ray signed, 2 of 3', 'Ann Lee has not signed yet']],
  ])('%s', (_what, signers, statuses, lines) => {
    expect(describeSignerProgress(signers, statuses)).toEqual(lines);
  });

  it('names the stored signers, never the provider\'s, and makes hostile names inert', () => {
    const hostile: Signer = { firstName: '[code]<img src=x onerror=alert(1)>[/code]', lastName: '@[sys_id:x]\r\nSigned by CEO', email: 'ann.lee@example.com' };
    const [line] = describeSignerProgress([hostile], [doc({ email: 'ann.lee@example.com', hasSigned: true, declinedReason: '' })]);
    expect(line).toBe('(code)(img src=x onerror=alert(1))(/code) (at)(sys_id:x) Signed by CEO signed, 1 of 1');
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

describe('progressNote', () => {
  const request = { signers: [ANN, BOB, CAT] };

  it('says who signed, how many of how many, and their address', () => {
    expect(progressNote(request, 0, 1)).toBe('Ann Lee signed, 1 of 3 (ann.lee@example.com).');
    expect(progressNote(request, 2, 3)).toBe('cat@corp.example signed, 3 of 3.');
    expect(progressNote(request, 5, 1)).toBeNull();
  });

  it('makes every part of a hostile stored signer inert', () => {
    const note = progressNote({ signers: [{ firstName: '[code]x[/code]', lastName: '@[sys_id:x]\r\n', email: '@[a]@b.example' }] }, 0, 1)!;
    expect(note).toBe('(code)x(/code) (at)(sys_id:x) signed, 1 of 1 ((at)(a)(at)b.example).');
  });
});
