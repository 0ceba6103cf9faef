// `signrelay explain MAIL.eml` on the hand-written fixtures, run in process (in-process.ts)
// with no environment variables: the JSON answer's shape and the facts that matter, first
// with the example configuration (the default), then with a test configuration's route
// defaults. Fixtures carry absolute dates, so the clock is fixed while the command runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMail, contractPdf } from '../integration/world.ts';
import { FIXTURES_MAIL, minimalConfigYaml, tempDir, type TempDir } from './helpers.ts';
import { runInProcess } from './in-process.ts';

const NOW = '2026-11-20T12:00:00Z';

interface Explained {
  action: 'request' | 'reject' | 'ignore';
  reason: string;
  reply: boolean;
  request: null | {
    route: string;
    record: { number?: string; table?: string; sysId?: string; watermark?: string } | null;
    signers: string[];
    signersFrom: 'mail' | 'route' | 'none';
    due: string;
    requester: string;
    documents: Array<{ name: string; bytes: number; pages: number; existingSignTags: number }>;
  };
}

async function explain(file: string, ...args: string[]): Promise<Explained> {
  const r = await runInProcess(['explain', file, ...args], { now: NOW });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const answer = JSON.parse(r.stdout) as Explained;
  // A reply names who it would go to (replyTo), and only a reply does.
  expect(Object.keys(answer)).toEqual(['action', 'reason', 'reply', ...(answer.reply ? ['replyTo'] : []), 'request']);
  expect(typeof answer.reason).toBe('string');
  expect(answer.reason.length).toBeGreaterThan(0);
  // Only a request carries request details, and only a refusal is ever answered.
  expect(answer.request === null).toBe(answer.action !== 'request');
  if (answer.action !== 'reject') expect(answer.reply).toBe(false);
  return answer;
}

const fixture = (name: string) => `${FIXTURES_MAIL}${name}`;

describe('explain with the example configuration (no --config, no environment)', () => {
  it('a good Outlook request: route, record, signers in Signer N order, due, document', async () => {
    const a = await explain(fixture('outlook-alternative.eml'));
    expect(a).toMatchObject({ action: 'request', reply: false });
    expect(a.request).toEqual({
      route: 'default',
      record: { number: 'RITM0010001', table: 'sc_req_item' },
      signers: ['Ann Lee <ann.lee@corp.example>', 'Bob Stone <bob.stone@partner.example>'],
      signersFrom: 'mail',
      due: '2026-12-24',
      requester: 'ann.lee@corp.example',
      documents: [{ name: 'Service agreement 2026.pdf', bytes: expect.any(Number), pages: 1, existingSignTags: 0 }],
    });
  });

  it('a forwarded mail: the PDF inside the attached message counts; due is today + 14 days', async () => {
    const a = await explain(fixture('thunderbird-forward-attachment.eml'));
    expect(a.action).toBe('request');
    expect(a.request).toMatchObject({
      route: 'default', record: { number: 'RITM0010002', table: 'sc_req_item' }, due: '2026-12-04',
      signers: ['Pat Kim <pat.kim@corp.example>', 'Landlord Office <leasing@landlord.example>'],
      documents: [{ name: 'Lease.pdf', pages: 1, existingSignTags: 0 }],
    });
  });

  it('the Gmail sign+hr@ mail: a sender outside routes.hr.allowed_senders is refused without a reply', async () => {
    const a = await explain(fixture('gmail-hr-route.eml'));
    expect(a).toMatchObject({ action: 'reject', reply: false, request: null });
    expect(a.reason).toContain('zoe.angstrom@gmail.com may not send requests to route "hr"');
    expect(a.reason).toContain('routes.hr.allowed_senders');
  });

  it('the ServiceNow notification: its sender is not allowed by the example config, and gets no reply', async () => {
    const a = await explain(fixture('servicenow-notification.eml'));
    expect(a).toMatchObject({ action: 'reject', reply: false });
    expect(a.reason).toContain('corp@service-now.com may not send requests to route "default"');
  });

  it.each([
    ['bounce-dsn.eml', /delivery or read report/],
    ['out-of-office.eml', /automatic reply \(Auto-Submitted: auto-replied\)/],
  ])('%s is ignored, never answered', async (name, reason) => {
    const a = await explain(fixture(name));
    expect(a).toMatchObject({ action: 'ignore', reply: false, request: null });
    expect(a.reason).toMatch(reason);
  });

  it('a fake .pdf is refused with a reply saying it is not a PDF', async () => {
    const a = await explain(fixture('fake-pdf.eml'));
    expect(a).toMatchObject({ action: 'reject', reply: true, request: null });
    expect(a.reason).toMatch(/^contract\.pdf is not a PDF file: /);
  });

  it('a mail with many problems is refused once, listing every problem', async () => {
    const a = await explain(fixture('many-problems.eml'));
    // Its Reply-To is in the organisation, which the example's default route lets in: answered there.
    expect(a).toMatchObject({ action: 'reject', reply: true, replyTo: 'procurement@corp.example', request: null });
    const problems = a.reason.split('\n');
    expect(problems).toHaveLength(4);
    expect(problems.every((p) => p.startsWith('- '))).toBe(true);
    expect(a.reason).toContain('2 records (RITM0010007, RITM0010008)');
    expect(a.reason).toContain('dana.white(at)partner.example');
    expect(a.reason).toContain('OWEN.PRICE@corp.example is named twice');
    expect(a.reason).toContain('the due date 2026-10-01 has passed (today is 2026-11-20 in UTC, the time due dates are kept in)');
  });

  it('uses the real clock without a fixed one: due is today + the route\'s due_days', async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const before = day(14);
    const r = await runInProcess(['explain', fixture('thunderbird-forward-attachment.eml')]);
    expect(r.code).toBe(0);
    expect([before, day(14)]).toContain((JSON.parse(r.stdout) as Explained).request?.due);
  });
});

describe('explain --config FILE: the route defaults of that file apply', () => {
  let dir: TempDir;
  let config: string;
  let withoutSenders: string;

  beforeAll(async () => {
    dir = await tempDir();
    const yaml = minimalConfigYaml(`routes:
  default: {signers: ["Pat Lee <pat.lee@corp.example>"], due_days: 3}
  hr: {signers: ["Harriet Ross <hr.director@corp.example>"], due_days: 7, require_record: false}
`);
    withoutSenders = await dir.file('no-senders.yaml', yaml);
    config = await dir.file('routes.yaml', yaml.replace('servicenow: {', 'servicenow: {senders: ["corp@service-now.com"], '));
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('the Gmail sign+hr@ mail becomes a request on route hr (anyone may send); its Due: 14d wins', async () => {
    const a = await explain(fixture('gmail-hr-route.eml'), '--config', config);
    expect(a.action).toBe('request');
    expect(a.request).toMatchObject({
      route: 'hr', record: { number: 'HRC0001234', table: 'sn_hr_core_case' }, signersFrom: 'mail', due: '2026-12-04',
      signers: ['Zoë Ångström <zoe.angstrom@gmail.com>', 'Karl-Heinz Müller-Lüdenscheidt <karl-heinz.mueller-luedenscheidt@corp.example>'],
      documents: [{ name: 'Offer letter.pdf', pages: 1 }],
    });
  });

  it('the ServiceNow notification becomes a request, keeping the watermark', async () => {
    const a = await explain(fixture('servicenow-notification.eml'), '--config', config);
    expect(a).toMatchObject({ action: 'request', reply: false });
    expect(a.request).toMatchObject({
      route: 'default', due: '2026-11-30', requester: 'corp@service-now.com',
      record: { number: 'RITM0010003', table: 'sc_req_item', watermark: 'Ref:MSG0000008_aLJc130zDhCVuh3spXmt' },
      signers: ['Priya Nair <priya.nair@corp.example>', 'Supplier Contracts <contracts@supplier.example>'],
      documents: [{ name: 'supplier_agreement.pdf', pages: 1 }],
    });
  });

  it('the same notification\'s watermark is not kept when its sender is not one of servicenow.senders', async () => {
    const a = await explain(fixture('servicenow-notification.eml'), '--config', withoutSenders);
    expect(a).toMatchObject({ action: 'request', reply: false });
    expect(a.request).toMatchObject({
      record: { number: 'RITM0010003', table: 'sc_req_item' },
      ignoredWatermark: 'Ref:MSG0000008_aLJc130zDhCVuh3spXmt: not from the instance\'s own senders (servicenow.senders)',
    });
    expect((a.request as { record: object }).record).not.toHaveProperty('watermark');
  });

  it('a mail without a Due: line gets the route\'s due_days (3 here, not 14)', async () => {
    const a = await explain(fixture('thunderbird-forward-attachment.eml'), '--config', config);
    expect(a.request?.due).toBe('2026-11-23');
  });

  it('a mail to sign+hr@ naming no signer and no record gets the route\'s signers and due_days', async () => {
    const mail = await dir.file('hr-bare.eml', await buildMail({
      to: 'sign+hr@corp.example', subject: 'Offer letter', text: 'Please sign.',
      attachments: [{ filename: 'offer.pdf', content: await contractPdf('Offer letter') }],
    }));
    const a = await explain(mail, '--config', config);
    expect(a.action).toBe('request');
    expect(a.request).toMatchObject({
      route: 'hr', record: null, signersFrom: 'route', signers: ['Harriet Ross <hr.director@corp.example>'], due: '2026-11-27',
      documents: [{ name: 'offer.pdf', pages: 2 }],
    });
  });
});
