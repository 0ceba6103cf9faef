// The simulated instance's inbound classification, table-driven: the order of the rules
// (forward first, then watermark, then prefix + number, then In-Reply-To) and the details
// of each that decide whether a mail lands on a record.
import { describe, expect, it } from 'vitest';
import {
  classifyInbound, DEFAULT_FORWARD_PREFIXES, DEFAULT_REPLY_PREFIXES, newWatermark, type InboundMailFacts, type InboundVerdict,
} from '../../src/sandbox/servicenow/classify-inbound.ts';

const MARK = 'MSG0000008_aLJc130zDhCVuh3spXmt';
const LEGACY = 'MSG71528958';
const OTHER_MARK = 'MSG0000009_bbbbbbbbbbbbbbbbbbbb';
const options = {
  replyPrefixes: DEFAULT_REPLY_PREFIXES,
  forwardPrefixes: DEFAULT_FORWARD_PREFIXES,
  watermark: (mark: string) => ({ [MARK]: 'sys-ritm1', [LEGACY]: 'sys-inc', [OTHER_MARK]: 'sys-ritm2' } as Record<string, string>)[mark],
  recordsNumbered: (n: string) => ({ RITM0010001: ['sys-ritm1'], RITM0010002: ['sys-ritm2'], SCTASK0000007: ['t1', 't2'] } as Record<string, string[]>)[n] ?? [],
  sentMail: (id: string) => (id === '<notify-1@instance>' ? 'sys-ritm2' : undefined),
};
const mail = (subject: string, text = 'signed, see attachment', inReplyTo: string | null = null): InboundMailFacts => ({ subject, text, inReplyTo });

describe('classifyInbound', () => {
  const cases: Array<[string, InboundMailFacts, InboundVerdict | Partial<InboundVerdict>]> = [
    ['a watermark in the body', mail('signed', `done\nRef:${MARK}`), { classification: 'reply', matchedBy: 'watermark', sysId: 'sys-ritm1' }],
    ['a watermark in the subject', mail(`signed Ref:${MARK}`), { classification: 'reply', matchedBy: 'watermark', sysId: 'sys-ritm1' }],
    ['the older watermark form', mail('x', `Ref:${LEGACY}`), { classification: 'reply', matchedBy: 'watermark', sysId: 'sys-inc' }],
    ['the last of two watermarks', mail('x', `Ref:${MARK}\n> quoted\nRef:${OTHER_MARK}`), { classification: 'reply', sysId: 'sys-ritm2' }],
    ['a watermark beats the subject number', mail('re: RITM0010002 signed', `Ref:${MARK}`), { classification: 'reply', matchedBy: 'watermark', sysId: 'sys-ritm1' }],
    ['re: + number with spaces', mail('re: RITM0010001 signed'), { classification: 'reply', matchedBy: 'number', sysId: 'sys-ritm1' }],
    ['re: + number at the end', mail('re: signed RITM0010001'), { classification: 'reply', matchedBy: 'number', sysId: 'sys-ritm1' }],
    ['Declined: is a reply prefix too', mail('Declined: RITM0010001 meeting'), { classification: 'reply', sysId: 'sys-ritm1' }],
    ['number with a colon', mail('re: RITM0010001: signed'), { classification: 'new' }],
    ['number in quotes', mail('re: "RITM0010001" signed'), { classification: 'new' }],
    ['no prefix, no spaces', mail('RITM0010001: signed'), { classification: 'new' }],
    ['no prefix at all', mail('RITM0010001 signed'), { classification: 'new' }],
    ['prefixes are case-sensitive: Re:', mail('Re: RITM0010001 signed'), { classification: 'new' }],
    ['two numbers', mail('re: RITM0010001 RITM0010002 signed'), { classification: 'new', note: expect.stringMatching(/more than one record number/) }],
    ['a number two records share', mail('re: SCTASK0000007 signed'), { classification: 'new' }],
    ['an unknown number', mail('re: RITM0099999 signed'), { classification: 'new', note: 'no record numbered RITM0099999' }],
    ['a watermark the instance never issued', mail('x', 'Ref:MSG0000999_zzzzzzzzzzzzzzzzzzzz'), { classification: 'new', note: expect.stringMatching(/not issued/) }],
    ['In-Reply-To a mail the instance sent', mail('signed', 'ok', '<notify-1@instance>'), { classification: 'reply', matchedBy: 'in-reply-to', sysId: 'sys-ritm2' }],
    ['In-Reply-To something else', mail('signed', 'ok', '<other@corp>'), { classification: 'new' }],
    ['a forward with From: in the body', mail('Fwd: RITM0010001 signed', 'From: Ann <ann@corp.example>\nsigned'), { classification: 'forward' }],
    ['a forward wins over a watermark', mail('FW: signed', `From: Ann\nRef:${MARK}`), { classification: 'forward' }],
    ['a forward prefix without From: is not a forward', mail('fwd: signed', `Ref:${MARK}`), { classification: 'reply', sysId: 'sys-ritm1' }],
  ];
  it.each(cases)('%s', (_name, facts, expected) => {
    expect(classifyInbound(facts, options)).toEqual(expect.objectContaining(expected));
  });
});

describe('newWatermark', () => {
  it('has the current and the older form', () => {
    expect(newWatermark(123)).toMatch(/^MSG0000123_[A-Za-z0-9]{20}$/);
    expect(newWatermark(1)).not.toBe(newWatermark(1));
    expect(newWatermark(5, true)).toMatch(/^MSG\d{8}$/);
  });
});
