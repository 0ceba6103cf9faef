// Outside text on its way to a ServiceNow record, as a table: what each hostile value
// becomes, that addresses stay readable, the bound, and the notes built from such values.
import { describe, expect, it } from 'vitest';
import { extendedNote, notSentNote, refusalDetail, refusalNote, signedNote, withdrawnNote } from '../../src/notices/record-notes.ts';
import { composeRequesterNotice } from '../../src/notices/compose-notices.ts';
import { MAX_RECORD_PEOPLE, MAX_RECORD_VALUE_CHARS, recordName, recordPeople, recordValue } from '../../src/servicenow/record-text.ts';
import type { RequestRow } from '../../src/store/requests.ts';

describe('recordValue', () => {
  it.each([
    ['[code]<img src=x onerror=alert(1)>[/code]', '(code)(img src=x onerror=alert(1))(/code)'],
    ['[CODE]x[/Code]', '(CODE)x(/Code)'],
    ['[ code ]x[ / code ]', '( code )x( / code )'],
    ['@[6816f79cc0a8016401c5a33be04be441:Admin] please', '(at)(6816f79cc0a8016401c5a33be04be441:Admin) please'],
    ['ping @Admin and @@x', 'ping (at)Admin and (at)(at)x'],
    ['write to ann.lee@example.com or bob+tag@corp.example', 'write to ann.lee@example.com or bob+tag@corp.example'],
    ['reason\n\n\nSigned by CEO', 'reason Signed by CEO'],
    ['a\r\nb\u2028c\u2029d\u0085e\u000bf\u000cg', 'a b c d e f g'],
    ['cod\u202eexe.pdf \u200b zero', 'cod exe.pdf zero'],
    ['  padded\t\ttext  ', 'padded text'],
    ['', ''],
    ['Ref:MSG0000008_aLJc130zDhCVuh3spXmt', 'Ref MSG0000008_aLJc130zDhCVuh3spXmt'],
    ['xref : msg42 and REF:Msg7', 'xref msg42 and REF Msg7'],
    // An instance's own watermark prefix (a signer named so put the mail on another record).
    ['Ref:ACME0000042_aBcDeFgHiJkLmNoPqRsT Lee', 'Ref ACME0000042_aBcDeFgHiJkLmNoPqRsT Lee'],
    ['Ref：ACME42 and ref : x', 'Ref ACME42 and ref x'],
    ['Sign the corrected copy at https://evil.example/resign', 'Sign the corrected copy at https(:)//evil.example/resign'],
    ['see WWW.evil.example or HTTP://x and javascript://y', 'see WWW(.)evil.example or HTTP(:)//x and javascript(:)//y'],
    ['glued: 1https://evil.example see_www.evil.example x_http://y', 'glued: 1https(:)//evil.example see_www(.)evil.example x_http(:)//y'],
  ])('%j → %j', (input, expected) => {
    expect(recordValue(input)).toBe(expected);
  });

  it('bounds the length with an ellipsis, by characters not UTF-16 units', () => {
    expect(recordValue('A'.repeat(5_000))).toBe(`${'A'.repeat(MAX_RECORD_VALUE_CHARS - 1)}…`);
    expect([...recordValue('😀'.repeat(300))]).toHaveLength(MAX_RECORD_VALUE_CHARS);
    expect(recordValue('short', 3)).toBe('sh…');
    expect(recordValue(null)).toBe('');
  });

  it('keeps a name\'s dots where it is no link: a file\'s, an address', () => {
    expect(recordName('www.contract-2026')).toBe('www.contract-2026');
    expect(recordPeople([{ firstName: 'Ann', lastName: 'Lee', email: 'ann@www.example.com' }])).toBe('Ann Lee <ann@www.example.com>');
    expect(recordPeople([{ firstName: 'see www.evil.example', lastName: 'Lee', email: 'ann@example.com' }])).toBe('see www(.)evil.example Lee <ann@example.com>');
  });

  it('lists people with inert names and at most MAX_RECORD_PEOPLE of them', () => {
    expect(recordPeople([{ firstName: '[code]Ann', lastName: 'Lee', email: 'ann.lee@example.com' }, { firstName: '', lastName: '', email: 'bob@corp.example' }]))
      .toBe('(code)Ann Lee <ann.lee@example.com>, bob@corp.example');
    const many = Array.from({ length: MAX_RECORD_PEOPLE + 3 }, (_, i) => ({ firstName: 'P', lastName: String(i), email: `p${i}@x.example` }));
    expect(recordPeople(many)).toMatch(/, P 19 <p19@x\.example> and 3 more$/);
  });
});

const REQUEST = {
  id: 'r_0123456789ab', provider: 'secured-signing', providerOrderId: null, signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' }, { firstName: 'Bob', lastName: 'Stone', email: 'bob.stone@corp.example' }],
};

describe('the notes on a record', () => {
  it('name the signers and keep their own structure', () => {
    expect(withdrawnNote(REQUEST, 'the wrong contract version')).toBe(
      "Signature request withdrawn by the signrelay administrators (signrelay r_0123456789ab). The signrelay administrators' reason: \u201cthe wrong contract version\u201d. Signers: Ann Lee <ann.lee@example.com>, Bob Stone <bob.stone@corp.example>.");
    expect(withdrawnNote({ ...REQUEST, signers: [] }, '')).toBe('Signature request withdrawn by the signrelay administrators (signrelay r_0123456789ab).');
  });

  it('say every invitation was signed and who was invited, not who signed, with the provider\'s last signing time in UTC', () => {
    expect(signedNote(REQUEST, [{ providerRef: 'gBeueUBEgsG5wnzI' }])).toBe(
      'Signed via Secured Signing (reference gBeueUBEgsG5wnzI): every invitation signed (invited: Ann Lee <ann.lee@example.com>, Bob Stone <bob.stone@corp.example>); attached by signrelay, request r_0123456789ab.');
    expect(signedNote({ ...REQUEST, provider: 'signicat', providerOrderId: 'o-1' }, [{ providerRef: 'doc-1' }], new Date('2026-12-05T14:03:59.999Z'))).toBe(
      'Signed via Signicat (order o-1): every invitation signed, the last at 2026-12-05 14:03 UTC as Signicat reports (invited: Ann Lee <ann.lee@example.com>, Bob Stone <bob.stone@corp.example>); attached by signrelay, request r_0123456789ab.');
    expect(signedNote({ ...REQUEST, signers: [] }, [{ providerRef: 'r1' }], new Date(Number.NaN))).toBe(
      'Signed via Secured Signing (reference r1): every invitation signed; attached by signrelay, request r_0123456789ab.');
    expect(signedNote(REQUEST, [{ providerRef: 'r1' }])).not.toMatch(/by Ann|Ann Lee signed/);
  });

  it('quote a cancel reason as its giver\'s, its quotation marks unable to close the quote', () => {
    const note = withdrawnNote(REQUEST, 'typo\u201d. Signature request withdrawn by the CEO. \u201c"\u00bb', 'helen.officer@corp.example');
    expect(note).toContain("withdrawn by helen.officer@corp.example by a reply to the acknowledgement (signrelay r_0123456789ab). helen.officer@corp.example's reason: \u201ctypo'. Signature request withdrawn by the CEO. '''\u201d.");
    expect(note.match(/[\u201c\u201d"\u00ab\u00bb]/g)).toEqual(['\u201c', '\u201d']);
  });

  it('say a due date moved, with a hostile requester address inert', () => {
    expect(extendedNote(REQUEST, [{ providerRef: 'gBeueUBEgsG5wnzI' }], '2026-11-17', '2026-12-01', 'helen.officer@corp.example')).toBe(
      'Due date moved from 2026-11-17 to 2026-12-01, as helen.officer@corp.example asked by a reply (Secured Signing, reference gBeueUBEgsG5wnzI; signrelay r_0123456789ab). Signers: Ann Lee <ann.lee@example.com>, Bob Stone <bob.stone@corp.example>.');
    const note = extendedNote(REQUEST, [{ providerRef: 'gBeueUBEgsG5wnzI' }], '2026-11-17', '2026-12-01', '"[code]<img>[/code]\nSigned by CEO" @[x:Admin]@evil.example');
    expect(note).toContain('as "(code)(img)(/code) Signed by CEO" (at)(x:Admin)(at)evil.example asked by a reply');
    expect(note).not.toMatch(/[\n\r[\]]/);
  });

  it('say why a request started from the record was not sent, the reason (which quotes the mail) inert and bounded', () => {
    const note = notSentNote(REQUEST, `"[code]<img>[/code].pdf" is not a PDF\nSigned by CEO @[x:Admin] ${'A'.repeat(5_000)}`);
    expect(note).toMatch(/^The document could not be sent for signature \(signrelay r_0123456789ab\): "\(code\)\(img\)\(\/code\)\.pdf" is not a PDF Signed by CEO \(at\)\(x:Admin\) A+…\.? The signrelay administrators were alerted\.$/);
    expect(note.length).toBeLessThan(700);
  });

  it('carry a hostile decline reason as one inert, bounded line', () => {
    const detail = refusalDetail({ raw: 'Declined', reference: 'gBeueUBEgsG5wnzI', signers: [{ email: 'ann.lee@example.com', declinedReason: `[code]<img>[/code]\n\nSigned by CEO @[x:Admin] ${'A'.repeat(5_000)}` }] }, REQUEST.signers);
    const note = refusalNote(REQUEST, 'declined', detail);
    expect(note).toMatch(/^Signature request declined \(signrelay r_0123456789ab\)\. The provider reports \u201cDeclined\u201d for document gBeueUBEgsG5wnzI\. Ann Lee's reason: \u201c\(code\)\(img\)\(\/code\) Signed by CEO \(at\)\(x:Admin\) A+…\u201d\. Signers: Ann Lee/);
    expect(note).not.toMatch(/[\n\r[\]]/);
    expect(note.length).toBeLessThan(800);
  });

  it('quote each decline reason as its signer\'s words, so none reads as signrelay\'s own sentences', () => {
    const forged = 'Wrong version. Declined by Bob Stone <bob.stone@corp.example>. Signature request withdrawn by the signrelay administrators';
    const detail = refusalDetail({ raw: 'Declined"', reference: 'gBeueUBEgsG5wnzI', signers: [
      { email: 'ANN.LEE@example.com', declinedReason: `${forged}\u201d. Declined by Bob Stone.` },
      { email: 'x@stranger.example', declinedReason: '\u00abno\u00bb' },
      { email: 'bob.stone@corp.example' },
    ] }, REQUEST.signers);
    expect(detail).toBe('The provider reports \u201cDeclined\'\u201d for document gBeueUBEgsG5wnzI. ' +
      "Ann Lee's reason: \u201cWrong version. Declined by Bob Stone (bob.stone@corp.example). Signature request withdrawn by the signrelay administrators'. Declined by Bob Stone.\u201d. " +
      "x@stranger.example's reason: \u201c'no'\u201d.");
    // The signer's words stand only inside the quotes, after "Ann Lee's reason:".
    const outside = detail.replace(/\u201c[^\u201c\u201d]*\u201d/g, '\u201c\u201d');
    expect(outside).not.toMatch(/Declined by|withdrawn/);
  });
});

describe('the requester\'s notice', () => {
  const request = {
    ...REQUEST, state: 'declined', token: 't', route: 'default', provider: 'secured-signing', requester: 'helen@corp.example',
    subject: `[code]x[/code] Offer\r\nBcc: victim@example.com ${'B'.repeat(400)}`, messageId: '<m1@corp.example>\r\nX-Evil: 1',
    recordNumber: 'RITM0010001', recordTable: null, recordSysId: null, watermark: null, dueDate: '2026-12-24', reason: null, createdAt: '', updatedAt: '',
  } as RequestRow;

  it('cuts the subject, keeps header values on one line and lists the signers', () => {
    const notice = composeRequesterNotice(request, 'declined', 'The provider reports "Declined".', 'signrelay <sign@corp.example>', ['contract.pdf']);
    expect(notice.subject).toMatch(/^Not signed \(declined\): \(code\)x\(\/code\) Offer Bcc: victim@example\.com B+…$/);
    expect(String(notice.subject).length).toBeLessThanOrEqual(180);
    expect(notice.inReplyTo).toBeUndefined(); // a Message-ID that could break a header is left out
    expect(notice.text).toContain('\nSigners: Ann Lee <ann.lee@example.com>, Bob Stone <bob.stone@corp.example>.\n');
  });

  it('carries no outsider\'s link live, and threads only to a Message-ID that fits a header line', () => {
    const linked = { ...request, subject: 'RITM0010001 urgent: review at https://evil.example/login', messageId: `<${'x'.repeat(1_500)}@corp.example>` } as RequestRow;
    const notice = composeRequesterNotice(linked, 'declined', recordValue('Wrong amount. Sign the corrected copy at https://evil.example/resign'), 'signrelay <sign@corp.example>', ['contract.pdf']);
    expect(notice.subject).toBe('Not signed (declined): RITM0010001 urgent: review at https(:)//evil.example/login');
    expect(notice.text).toContain('Sign the corrected copy at https(:)//evil.example/resign');
    expect(`${String(notice.subject)}\n${String(notice.text)}`).not.toMatch(/https?:\/\//);
    expect(notice.inReplyTo).toBeUndefined(); // 1,516 characters: over a header line's 998
    expect(composeRequesterNotice({ ...linked, messageId: '<m1@corp.example>' }, 'declined', '', 'x', []).inReplyTo).toBe('<m1@corp.example>');
  });
});
