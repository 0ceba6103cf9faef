// A prepared document's own [!Sign] tags get the checks a mail's signers get (signers review
// L2): one mailbox twice, signrelay's own address, the ServiceNow instance's — refused with
// the same words, naming the document; and one signer per number, in one order across the
// documents (L3). On real PDFs, read by the same inspection the daemon runs.
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

describe('a prepared document\'s signing order (signers review L3)', () => {
  it('refuses two addresses at one order number: the request would name only the first', async () => {
    const decision = await decide([['offer.pdf', ['[!Sign.1,Ann,Lee,ann.lee@example.com]', '[!Sign.1,Bob,Stone,bob.stone@example.com]']]]);
    expect(decision).toMatchObject({ action: 'reject', reply: true, problems: [
      'offer.pdf gives signing order 1 to 2 signers (ann.lee@example.com, bob.stone@example.com): signrelay sends one signer per number — give each signer their own number ([!Sign.1,…], [!Sign.2,…]) in the order they sign',
    ] });
  });

  it('takes one signer at one number twice (two places to sign) as one signer', async () => {
    const decision = await decide([['offer.pdf', ['[!Sign.1,Ann,Lee,ann.lee@example.com]', '[!Sign.2,Bob,Stone,bob.stone@example.com]', '[!Sign.1,Ann,Lee,Ann.Lee@example.com]']]]);
    expect(decision).toMatchObject({ action: 'request', draft: { signers: [{ email: 'ann.lee@example.com' }, { email: 'bob.stone@example.com' }] } });
  });

  it('refuses documents that have the same people sign in different orders, naming them', async () => {
    const decision = await decide([
      ['a.pdf', ['[!Sign.1,Ann,Lee,ann.lee@example.com]', '[!Sign.2,Bob,Stone,bob.stone@example.com]']],
      ['b.pdf', ['[!Sign.1,Bob,Stone,bob.stone@example.com]', '[!Sign.2,Ann,Lee,ann.lee@example.com]']],
    ]);
    expect(decision).toMatchObject({ action: 'reject', problems: [
      'a.pdf and b.pdf have the same people sign in different orders (a.pdf: 1. Ann Lee <ann.lee@example.com>, 2. Bob Stone <bob.stone@example.com>; b.pdf: 1. Bob Stone <bob.stone@example.com>, 2. Ann Lee <ann.lee@example.com>): give the documents the same signing order, or send each in a mail of its own',
    ] });
  });

  it('refuses three documents whose orders disagree only together', async () => {
    const decision = await decide([
      ['a.pdf', ['[!Sign.1,Ann,Lee,ann@example.com]', '[!Sign.2,Bob,Stone,bob@example.com]']],
      ['b.pdf', ['[!Sign.1,Bob,Stone,bob@example.com]', '[!Sign.2,Cy,Dee,cy@example.com]']],
      ['c.pdf', ['[!Sign.1,Cy,Dee,cy@example.com]', '[!Sign.2,Ann,Lee,ann@example.com]']],
    ]);
    expect(decision).toMatchObject({ action: 'reject', problems: ['a.pdf, b.pdf, c.pdf have the same people sign in orders that do not agree: give the documents the same signing order, or send each in a mail of its own'] });
  });

  it('lists the signers of documents that agree in an order each of them keeps', async () => {
    const decision = await decide([
      ['a.pdf', ['[!Sign.1,Ann,Lee,ann@example.com]', '[!Sign.2,Bob,Stone,bob@example.com]']],
      ['b.pdf', ['[!Sign.1,Cy,Dee,cy@example.com]', '[!Sign.2,Ann,Lee,ann@example.com]']],
    ]);
    expect(decision).toMatchObject({ action: 'request', draft: { signersFrom: 'pdf' } });
    if (decision.action !== 'request') return;
    expect(decision.draft.signers.map((s) => s.firstName)).toEqual(['Cy', 'Ann', 'Bob']);
  });
});
