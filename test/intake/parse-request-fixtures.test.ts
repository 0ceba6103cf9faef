// Real-world mail shapes, end to end: raw .eml → readRequestMail → parseRequestMail.
import { describe, expect, it } from 'vitest';
import { parseRequestMail } from '../../src/intake/parse-request.ts';
import type { MailDecision } from '../../src/intake/types.ts';
import { NOW, readFixture, testPolicy } from './intake-helpers.ts';

interface RequestExpectation {
  route: string;
  record: object | null;
  signers: string[];
  signerNames?: string[];
  due: string;
  documents: string[];
  requester: string;
  noReply?: boolean;
}

const requests: Array<[string, RequestExpectation]> = [
  ['outlook-alternative.eml', {
    route: 'default', record: { number: 'RITM0010001', table: 'sc_req_item' },
    signers: ['ann.lee@corp.example', 'bob.stone@partner.example'], signerNames: ['Ann Lee', 'Bob Stone'],
    due: '2026-12-24', documents: ['Service agreement 2026.pdf'], requester: 'ann.lee@corp.example',
  }],
  ['outlook-html-only.eml', {
    route: 'default', record: { table: 'sc_req_item', sysId: '9d385017c611228701d22104cc95c371' },
    signers: ['ilektra.papadopoulou@corp.example', 'nikos.georgiou@supplier.example'],
    signerNames: ['Ηλέκτρα Παπαδοπούλου', 'Νίκος Γεωργίου'],
    due: '2026-12-01', documents: ['Συμφωνητικό προμήθειας.pdf'], requester: 'ilektra.papadopoulou@corp.example',
  }],
  ['gmail-hr-route.eml', {
    route: 'hr', record: { number: 'HRC0001234', table: 'sn_hr_core_case' },
    signers: ['zoe.angstrom@gmail.com', 'karl-heinz.mueller-luedenscheidt@corp.example'],
    signerNames: ['Zoë Ångström', 'Karl-Heinz Müller-Lüdenscheidt'],
    due: '2026-11-17', documents: ['Offer letter.pdf'], requester: 'zoe.angstrom@gmail.com',
  }],
  ['thunderbird-forward-attachment.eml', {
    route: 'default', record: { number: 'RITM0010002', table: 'sc_req_item' },
    signers: ['pat.kim@corp.example', 'leasing@landlord.example'],
    due: '2026-11-17', documents: ['Lease.pdf'], requester: 'pat.kim@corp.example',
  }],
  ['apple-mail-inline-pdf.eml', {
    route: 'default', record: { number: 'INC0012345', table: 'incident' },
    signers: ['taro.yamada@corp.example', 'jean-luc.picard@partner.example'], signerNames: ['山田 太郎', 'Jean-Luc Picard'],
    due: '2026-11-17', documents: ['NDA.pdf'], requester: 'taro.yamada@corp.example',
  }],
  ['servicenow-notification.eml', {
    route: 'default', record: { number: 'RITM0010003', table: 'sc_req_item', watermark: 'Ref:MSG0000008_aLJc130zDhCVuh3spXmt' },
    signers: ['priya.nair@corp.example', 'contracts@supplier.example'],
    due: '2026-11-30', documents: ['supplier_agreement.pdf'], requester: 'corp@service-now.com', noReply: true,
  }],
  ['octet-stream-scan.eml', {
    route: 'default', record: { number: 'RITM0010004', table: 'sc_req_item' },
    signers: ['ann.lee@corp.example'], signerNames: ['Ann Lee'],
    due: '2026-11-06', documents: ['SCAN_20261111_140217.pdf'], requester: 'scanner@corp.example',
  }],
  ['latin1-rfc2231.eml', {
    route: 'hr', record: { number: 'HRC0004321', table: 'sn_hr_core_case' },
    signers: ['zoe.angstrom@corp.example', 'jürgen.weiß@corp.example'], signerNames: ['Zoë Ångström', 'Jürgen Weiß'],
    due: '2026-11-10', documents: ['Verträge Übersicht.pdf'], requester: 'zoe.angstrom@corp.example',
  }],
];

const rejections: Array<[string, { reply: boolean; problems: RegExp[] }]> = [
  ['fake-pdf.eml', { reply: true, problems: [/^contract\.pdf is not a PDF file/] }],
  ['no-pdf-signature-image.eml', { reply: true, problems: [/^attach the document to be signed as a PDF file \(the mail has no PDF, only Contract\.docx\)$/] }],
  ['servicenow-old-watermark-no-pdf.eml', { reply: false, problems: [/^attach the document to be signed as a PDF file$/] }],
  ['many-problems.eml', {
    reply: true,
    problems: [
      /subject names 2 records \(RITM0010007, RITM0010008\)/,
      /^the line "Signer: Dana White <dana\.white\(at\)partner\.example>" has no valid email address/,
      /^OWEN\.PRICE@corp\.example is named twice/,
      /^the due date 2026-10-01 has passed/,
    ],
  }],
];

const ignored: Array<[string, RegExp]> = [
  ['bounce-dsn.eml', /delivery or read report/],
  ['out-of-office.eml', /automatic reply \(Auto-Submitted: auto-replied\)/],
  ['mailing-list.eml', /mailing-list mail \(list-id header\)/],
  ['own-reply.eml', /own mail \(X-Signrelay header\)/],
];

async function decide(name: string): Promise<MailDecision> {
  return parseRequestMail(await readFixture(name), testPolicy(), NOW);
}

describe('request mails that become requests', () => {
  it.each(requests)('%s', async (name, want) => {
    const decision = await decide(name);
    if (decision.action !== 'request') throw new Error(`expected a request, got ${decision.action}: ${decision.reason}`);
    const { draft } = decision;
    expect(draft.route).toBe(want.route);
    expect(draft.record).toEqual(want.record);
    expect(draft.signers.map((s) => s.email)).toEqual(want.signers);
    if (want.signerNames) expect(draft.signers.map((s) => `${s.firstName} ${s.lastName}`)).toEqual(want.signerNames);
    expect(draft.signersFrom).toBe('mail');
    expect(draft.due).toBe(want.due);
    expect(draft.documents.map((d) => d.fileName)).toEqual(want.documents);
    for (const doc of draft.documents) expect(doc.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(draft.requester).toBe(want.requester);
    expect(draft.noReplyReason !== null).toBe(want.noReply ?? false);
    expect(decision.reply).toBe(false);
  });
});

describe('request mails that are rejected', () => {
  it.each(rejections)('%s', async (name, want) => {
    const decision = await decide(name);
    if (decision.action !== 'reject') throw new Error(`expected a rejection, got ${decision.action}: ${decision.reason}`);
    expect(decision.reply).toBe(want.reply);
    expect(decision.problems).toHaveLength(want.problems.length);
    want.problems.forEach((re, i) => expect(decision.problems![i]).toMatch(re));
  });

  it('lists several problems one a line in the reason', async () => {
    const decision = await decide('many-problems.eml');
    expect(decision.reason.split('\n')).toHaveLength(4);
    expect(decision.reason.split('\n').every((line) => line.startsWith('- '))).toBe(true);
  });
});

describe('mails that are never processed or answered', () => {
  it.each(ignored)('%s', async (name, reason) => {
    const decision = await decide(name);
    expect(decision).toMatchObject({ action: 'ignore', reply: false });
    expect(decision.reason).toMatch(reason);
  });
});

describe('draft details', () => {
  it('keeps Message-ID, subject and the References of the request', async () => {
    const decision = await decide('gmail-hr-route.eml');
    if (decision.action !== 'request') throw new Error(decision.reason);
    expect(decision.draft.messageId).toBe('<CAH7x2dLqQ1sP9VbX3r=KjW8uYf1Zt0nE4hMa6oGcR2pDw5sJvQ@mail.gmail.com>');
    expect(decision.draft.subject).toBe('Offer letter for HRC0001234');
  });

  it('reads a Reply-To as the requester', async () => {
    const mail = await readFixture('many-problems.eml');
    const fixed = { ...mail, subject: 'RITM0010007', text: 'Signer: Owen Price <owen.price@corp.example>' };
    const decision = parseRequestMail(fixed, testPolicy(), NOW);
    if (decision.action !== 'request') throw new Error(decision.reason);
    expect(decision.draft.requester).toBe('procurement@corp.example');
    expect(decision.draft.references).toEqual(['<CAE9m0+first.0@mail.corp.example>', '<CAE9m0+earlier.0@mail.corp.example>']);
  });
});
