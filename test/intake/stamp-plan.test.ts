// The stamp a request's documents get (stamp-plan.ts): decided once per mail, and a stamp
// made while deciding is used only when the request still asks for the same one.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { tokenFromReturnAddress } from '../../src/pdf/build-tags.ts';
import { onSignaturePage, planStamps, sameStamp, stampServes } from '../../src/intake/stamp-plan.ts';
import type { RequestDraft } from '../../src/intake/types.ts';

const config = {
  mailboxes: { returns: { address: 'returns@corp.example' } },
  stamping: configSchema.shape.stamping.parse(undefined),
} as Parameters<typeof planStamps>[0];
const ANN = { firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' };

function draft(over: Partial<RequestDraft> = {}): RequestDraft {
  return {
    route: 'default', record: { number: 'RITM0010001' }, signers: [ANN], signersFrom: 'mail', due: '2026-12-17', dueFrom: 'mail',
    documents: [{ fileName: 'contract.pdf', bytes: new Uint8Array(0) }] as RequestDraft['documents'], notDocuments: [],
    requester: 'hr@corp.example', requesterNote: null, ignoredWatermark: null, messageId: '<m@corp>', subject: 'Contract',
    references: [], noReplyReason: null, ...over,
  };
}

describe('planStamps', () => {
  it('stamps every document with the request\'s token, its return address and its details', () => {
    const plan = planStamps(config, { recipientLetter: 'C' });
    const input = plan.inputFor(draft(), 0);
    expect(tokenFromReturnAddress(input.returnAddress)).toBe(plan.token);
    expect(input).toMatchObject({ token: plan.token, recipientLetter: 'C', textTags: true, signers: [ANN], request: { record: 'RITM0010001', fileName: 'contract.pdf', subject: 'Contract', due: '2026-12-17' } });
  });

  it('draws no signers when the documents\' own tags name them, and no tags for a provider that reads none', () => {
    expect(planStamps(config, { recipientLetter: 'C' }).inputFor(draft({ signersFrom: 'pdf' }), 0).signers).toEqual([]);
    expect(planStamps(config, false).inputFor(draft(), 0)).toMatchObject({ textTags: false, signers: [ANN] });
  });
});

describe('sameStamp', () => {
  const plan = planStamps(config, { recipientLetter: 'C' });
  it('is the same stamp whatever was known of the document\'s own text', () => {
    expect(sameStamp(plan.inputFor(draft(), 0), { ...plan.inputFor(draft(), 0), ownText: { tags: [] } })).toBe(true);
  });

  it('is another stamp once the record the page names, or the signers, changed', () => {
    const made = plan.inputFor(draft(), 0);
    expect(sameStamp(made, plan.inputFor(draft({ record: { number: 'RITM0010002' } }), 0))).toBe(false);
    expect(sameStamp(made, plan.inputFor(draft({ signers: [{ ...ANN, email: 'ann@corp.example' }] }), 0))).toBe(false);
    expect(sameStamp(made, planStamps(config, { recipientLetter: 'C' }).inputFor(draft(), 0))).toBe(false);
  });
});

describe('stampServes', () => {
  const overlay = { ...config, stamping: { ...config.stamping, mode: 'overlay' as const } };
  const plan = planStamps(overlay, { recipientLetter: 'C' });
  const wanted = plan.inputFor(draft(), 0);

  it('takes the stamp made while deciding when it is the one wanted', () => {
    expect(stampServes({ input: wanted }, wanted)).toBe(true);
    expect(stampServes({ input: wanted }, plan.inputFor(draft({ record: { number: 'RITM0010002' } }), 0))).toBe(false);
  });

  it('takes the signature page made because the overlay did not fit, for the overlay wanted, and nothing else', () => {
    const fallback = onSignaturePage(wanted);
    expect(fallback.stamping.mode).toBe('signature-page');
    expect(stampServes({ input: fallback, overlayRefused: 'off the page' }, wanted)).toBe(true);
    // Without the overlay's refusal a signature page is not the overlay asked for.
    expect(stampServes({ input: fallback }, wanted)).toBe(false);
    expect(stampServes({ input: fallback, overlayRefused: 'off the page' }, plan.inputFor(draft({ record: { number: 'RITM0010002' } }), 0))).toBe(false);
  });
});
