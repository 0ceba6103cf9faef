// A prepared document's own [!Sign] tags get the checks a mail's signers get (signers review
// L2): one mailbox twice, signrelay's own address, the ServiceNow instance's — refused with
// the same words, naming the document. On real PDFs, read by the same inspection the daemon runs.
import { afterAll, describe, expect, it } from 'vitest';
import { decideRequest } from '../../src/intake/decide-request.ts';
import { stopPdfPool } from '../../src/pdf/pdf-pool.ts';
import { makePdf } from '../pdf/make-pdf.ts';
import { NOW, requestMail, testPolicy } from './intake-helpers.ts';

afterAll(() => stopPdfPool());

const policy = testPolicy();

async function decide(documents: Array<[fileName: string, tags: string[]]>) {
  const attachments = await Promise.all(documents.map(async ([filename, tags]) => ({ filename, content: Buffer.from(await makePdf({ pages: [['An agreement.', ...tags]] })) })));
  return decideRequest(await requestMail('Please sign the attached.', { attachments }), policy, NOW);
}

describe('a prepared document\'s own signers', () => {
  it.each([
    ['one mailbox with a +tag', ['[!Sign.1,Ann,Lee,ann.lee@example.com]', '[!Sign.2,Ann,Again,ann.lee+2@example.com]'],
      'contract.pdf: ann.lee+2@example.com is named twice as a signer: name each signer once'],
    ['one Gmail mailbox spelt two ways', ['[!Sign.1,Ann,Lee,ann.lee@gmail.com]', '[!Sign.2,Ann,Lee,annlee@googlemail.com]'],
      'contract.pdf: annlee@googlemail.com is named twice as a signer: name each signer once'],
    ['the request address', ['[!Sign.1,Ann,Lee,ann.lee@example.com]', '[!Sign.2,Sign,Desk,sign@corp.example]'],
      'contract.pdf: sign@corp.example is signrelay\'s own address, not a signer\'s: name the person who signs'],
    ['the return address with a token', ['[!Sign.1,Desk,Returns,returns+x@corp.example]'],
      'contract.pdf: returns+x@corp.example is signrelay\'s own address, not a signer\'s: name the person who signs'],
    ['the ServiceNow instance', ['[!Sign.1,Service,Now,instance@service-now.com]'],
      'contract.pdf: instance@service-now.com is the ServiceNow instance\'s address, not a signer\'s (it files what it is sent on a record): name the person who signs'],
  ])('refuses %s', async (_label, tags, problem) => {
    const decision = await decide([['contract.pdf', tags]]);
    expect(decision).toMatchObject({ action: 'reject', reply: true, problems: [problem] });
  });

  it('refuses one mailbox spelt two ways in two documents, and takes one person in both as one signer', async () => {
    const twice = await decide([['a.pdf', ['[!Sign.1,Ann,Lee,ann.lee@example.com]']], ['b.pdf', ['[!Sign.1,Ann,Lee,Ann.Lee+b@example.com]']]]);
    expect(twice).toMatchObject({ action: 'reject', problems: ['b.pdf: Ann.Lee+b@example.com is named twice as a signer: name each signer once'] });
    const same = await decide([['a.pdf', ['[!Sign.1,Ann,Lee,ann.lee@example.com]']], ['b.pdf', ['[!Sign.1,Ann,Lee,ann.lee@example.com]']]]);
    expect(same).toMatchObject({ action: 'request', draft: { signersFrom: 'pdf', signers: [{ email: 'ann.lee@example.com' }] } });
  });
});
