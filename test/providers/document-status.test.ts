import { describe, expect, it } from 'vitest';
import { documentStatusFrom, phaseFromStatus } from '../../src/providers/secured-signing/document-status.ts';

describe('phaseFromStatus', () => {
  it.each([
    ['NotStart', 'uploaded'], ['InProgress', 'in-progress'], ['Signing', 'in-progress'], ['Filling', 'in-progress'],
    ['Filling Form', 'in-progress'], ['1 of 3 Signed', 'in-progress'], ['3 of 3 Signed', 'in-progress'], ['Signed', 'in-progress'],
    ['Complete', 'completed'], ['complete', 'completed'], ['Declined', 'declined'], ['Expired', 'expired'], ['Rejected', 'rejected'],
    ['', 'unknown'], ['Archived', 'unknown'],
  ])('%j → %s', (raw, phase) => {
    expect(phaseFromStatus(raw)).toBe(phase);
  });
});

describe('documentStatusFrom', () => {
  it('an uploaded, unsent document is not sent', () => {
    expect(documentStatusFrom({ Reference: 'r1', Status: 'NotStart', Signers: [] }, 'r1')).toEqual({ reference: 'r1', phase: 'uploaded', raw: 'NotStart', sent: false, signers: [] });
  });

  it('a document in progress is sent, with its signers', () => {
    const status = documentStatusFrom({
      Reference: 'r1', Status: '1 of 2 Signed',
      Signers: [{ Email: 'a@x.example', HasSigned: true }, { Email: 'b@x.example', HasSigned: false, SignedStatus: 'Declined', DeclinedReason: 'wrong name' }],
    }, 'r1');
    expect(status).toMatchObject({ phase: 'in-progress', sent: true });
    expect(status.signers).toEqual([{ email: 'a@x.example', hasSigned: true }, { email: 'b@x.example', hasSigned: false, declinedReason: 'wrong name' }]);
  });

  it('reads a numeric SignedStatus', () => {
    expect(documentStatusFrom({ Status: 'Complete', Signers: [{ Email: 'a@x.example', SignedStatus: 7 }] }, 'r9').signers[0]!.hasSigned).toBe(true);
  });

  it('an unknown word counts as sent only when there are signers', () => {
    expect(documentStatusFrom({ Status: 'Whatever', Signers: [] }, 'r1').sent).toBe(false);
    expect(documentStatusFrom({ Status: 'Whatever', Signers: [{ Email: 'a@x.example' }] }, 'r1').sent).toBe(true);
  });

  it('reads LastSignedDate as the last signature\'s time — a whole date-time with its zone, or ServiceStack\'s /Date(ms)/; anything else is no time', () => {
    const signedBy = (LastSignedDate: unknown) => documentStatusFrom({ Status: '1 of 2 Signed', LastSignedDate, Signers: [{ Email: 'a@x.example', HasSigned: true }, { Email: 'b@x.example' }] }, 'r1');
    expect(signedBy('2026-12-05T14:03:27.123Z').lastSignedAt).toEqual(new Date('2026-12-05T14:03:27.123Z'));
    expect(signedBy('2026-12-05T16:03:27+02:00').lastSignedAt).toEqual(new Date('2026-12-05T14:03:27Z'));
    expect(signedBy('/Date(1796479407000)/').lastSignedAt).toEqual(new Date(1796479407000));
    expect(signedBy('/Date(1796479407000+1300)/').lastSignedAt).toEqual(new Date(1796479407000));
    for (const junk of [null, '', 'soon', '2026-12-05T14:03:27', '2026-12-05', '2026-13-05T14:03:27Z', '2026-04-31T10:00:00Z', '2026-12-05T24:00:00Z',
      '2026-12-05T14:03:27+25:00', '1900-01-01T00:00:00Z', '/Date(99999999999999999)/', `2026-12-05T14:03:27Z${' '.repeat(100)}x`, 1796479407000, { at: 1 }]) {
      const status = signedBy(junk);
      expect(status).not.toHaveProperty('lastSignedAt');
      expect(status).toMatchObject({ phase: 'in-progress', sent: true });
    }
    // Nobody signed yet: whatever it says is no signature's time.
    expect(documentStatusFrom({ Status: 'InProgress', LastSignedDate: '2026-12-05T14:03:27Z', Signers: [{ Email: 'a@x.example' }] }, 'r1')).not.toHaveProperty('lastSignedAt');
  });

  it('survives a body that is not a document', () => {
    expect(documentStatusFrom(null, 'r1')).toMatchObject({ reference: 'r1', phase: 'unknown', sent: false });
  });
});
