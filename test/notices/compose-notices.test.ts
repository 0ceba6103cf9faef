// The requester's notices name the request's documents, and speak of several as several: with
// three PDFs out, "The document you sent for signature is signed" named none of them and
// read as one (multidoc review L2).
import { describe, expect, it } from 'vitest';
import { composeRequesterNotice } from '../../src/notices/compose-notices.ts';
import { withdrawalSentences } from '../../src/notices/withdrawal-words.ts';
import type { RequestRow } from '../../src/store/requests.ts';

const request = {
  id: 'r_000000000001', subject: 'Contracts', requester: 'ann@corp.example', dueDate: '2026-12-24', provider: 'secured-signing',
  signers: [{ firstName: 'Bob', lastName: 'Stone', email: 'bob@example.com' }], recordNumber: 'RITM0010001', recordTable: 'sc_req_item', recordSysId: null, messageId: null,
} as unknown as RequestRow;
const FROM = 'signrelay <sign@corp.example>';
const textOf = (kind: Parameters<typeof composeRequesterNotice>[1], fileNames: string[]) => String(composeRequesterNotice(request, kind, '', FROM, fileNames).text);

describe('a notice names the request\'s documents', () => {
  it('one document: as before, with its name', () => {
    const text = textOf('delivered', ['contract.pdf']);
    expect(text).toContain('The document you sent for signature is signed and attached to RITM0010001.');
    expect(text).toContain('\nDocument: contract.pdf.\nSigners: Bob Stone <bob@example.com>.\n');
  });

  it('several: counted and each named, its name made inert', () => {
    const text = textOf('delivered', ['contract.pdf', 'annex [v2].pdf', 'nda.pdf']);
    expect(text).toContain('The 3 documents you sent for signature are signed and attached to RITM0010001.');
    expect(text).toContain('\nDocuments: contract.pdf, annex (v2).pdf, nda.pdf.\n');
  });

  it.each([
    ['declined', 'Your signature request was declined, so nothing was attached to RITM0010001.'],
    ['expired', 'Your signature request was not signed by its due date (2026-12-24), so nothing was attached to RITM0010001.'],
  ] as const)('several, %s: the request, not "the document"', (kind, sentence) => {
    const text = textOf(kind, ['contract.pdf', 'nda.pdf']);
    expect(text).toContain(sentence);
    expect(text).not.toContain('The document you sent');
    expect(text).toContain('Documents: contract.pdf, nda.pdf.');
  });
});

describe('a link in a document\'s name (a forwarded supplier PDF) is quoted inert in prose, as the acknowledgement quotes it (variants review L3)', () => {
  const name = 'Pay the deposit at www.evil-payroll.example now.pdf';

  it('in the requester\'s notice', () => {
    const text = textOf('delivered', [name]);
    expect(text).toContain('Document: Pay the deposit at www(.)evil-payroll.example now.pdf.');
    expect(text).not.toContain('www.evil');
  });

  it('in the record\'s note of what was withdrawn and what was signed', () => {
    const note = withdrawalSentences({ withdrawn: [name], signed: [{ fileName: name, reference: 'ref-www.x' }], left: ['other.pdf'] } as never, 'Secured Signing', 'declined');
    expect(note).toContain('www(.)evil-payroll.example');
    expect(note).not.toContain('www.');
  });
});
