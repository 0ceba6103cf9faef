// How parseRequestMail puts the parts together: all problems at once, route defaults,
// and when a rejection may be answered.
import { describe, expect, it } from 'vitest';
import { joinProblems, parseRequestMail } from '../../src/intake/parse-request.ts';
import { asksForSignature } from '../../src/intake/asks-for-signature.ts';
import { readRequestMail } from '../../src/message/read-request-mail.ts';
import { buildMail, NOW, requestMail, samplePdf, testPolicy } from './intake-helpers.ts';

const policy = testPolicy();

describe('parseRequestMail', () => {
  it('collects every problem of a mail into one reason, documents first', async () => {
    const mail = await buildMail({
      subject: 'Two: RITM0010001 RITM0010002',
      text: 'Signer: Ann <ann@corp>\nDue: yesterday',
      attachments: [{ filename: 'scan.pdf', content: 'not a pdf' }],
    });
    const decision = parseRequestMail(mail, policy, NOW);
    expect(decision).toMatchObject({ action: 'reject', reply: true });
    if (decision.action !== 'reject') return;
    expect(decision.problems).toEqual([
      'scan.pdf is not a PDF file: save or export the document as PDF and attach that',
      'the subject names 2 records (RITM0010001, RITM0010002): put only the number of the record to sign for in the subject',
      'the line "Signer: Ann <ann@corp>" has no valid email address: write it as Signer: First Last <first.last@example.com>',
      '"Due: yesterday" is not a due date I understand: write Due: 2026-12-24 (a date) or Due: 14d (days from today)',
    ]);
    expect(decision.reason).toBe(decision.problems!.map((p) => `- ${p}`).join('\n'));
  });

  it('refuses signrelay\'s own addresses as signers: an invitation there would never reach a person', async () => {
    for (const own of ['sign+hr@corp.example', 'SIGN@corp.example', 'returns@corp.example']) {
      const decision = parseRequestMail(await requestMail(`Signer: Desk <${own}>`), policy, NOW);
      expect(decision).toMatchObject({ action: 'reject', problems: [`${own} is signrelay's own address, not a signer's: name the person who signs`] });
    }
  });

  it('refuses the ServiceNow instance\'s address as a signer, from the mail or the route: it files what it is sent on a record (signers review L4)', async () => {
    const fromMail = parseRequestMail(await requestMail('Signer: Ann Lee <ann@corp.example>\nSigner: Service Desk <corp@service-now.com>'), policy, NOW);
    expect(fromMail).toMatchObject({ action: 'reject', reply: true, problems: ['corp@service-now.com is the ServiceNow instance\'s address, not a signer\'s (it files what it is sent on a record): name the person who signs'] });
    // Its mailbox by another spelling a mail server delivers there too: a +tag, another case —
    // the instance named by its exact address, not a domain (variants review M1).
    const exactInstance = testPolicy({ instanceSenders: ['corp@service-now.com'], instanceAddresses: ['corp@service-now.com'] });
    for (const spelling of ['corp+desk@service-now.com', 'Corp+Desk@Service-Now.com']) {
      const tagged = parseRequestMail(await requestMail(`Signer: Ann Lee <ann@corp.example>\nSigner: Service Desk <${spelling}>`), exactInstance, NOW);
      expect(tagged).toMatchObject({ action: 'reject', reply: true, problems: [`${spelling} is the ServiceNow instance's address, not a signer's (it files what it is sent on a record): name the person who signs`] });
    }
    const byRoute = testPolicy({ routes: { ...policy.routes, default: { ...policy.routes.default!, signers: ['Desk <instance@service-now.com>'] } } });
    const fromRoute = parseRequestMail(await requestMail('Please sign.'), byRoute, NOW);
    expect(fromRoute).toMatchObject({ action: 'reject', problems: ['instance@service-now.com is the ServiceNow instance\'s address, not a signer\'s (it files what it is sent on a record): name the person who signs'] });
  });

  it('keeps whether the due date was given or is the route\'s default, and refuses one written in another form', async () => {
    const given = parseRequestMail(await requestMail('Signer: Ann Lee <ann@corp.example>\nDue: 2027-01-29'), policy, NOW);
    expect(given).toMatchObject({ action: 'request', draft: { due: '2027-01-29', dueFrom: 'mail' } });
    const none = parseRequestMail(await requestMail('Signer: Ann Lee <ann@corp.example>'), policy, NOW);
    expect(none).toMatchObject({ action: 'request', draft: { due: '2026-11-17', dueFrom: 'route' } });
    const byOtherForm = parseRequestMail(await requestMail('Signer: Ann Lee <ann@corp.example>\nDue by: 2027-01-29'), policy, NOW);
    expect(byOtherForm).toMatchObject({ action: 'reject', reply: true, problems: [expect.stringMatching(/^the line "Due by: 2027-01-29" is not a form signrelay reads/)] });
  });

  it('answers an S/MIME opaque-signed or encrypted mail that it is one, and nothing else: its PDF and lines are inside smime.p7m', async () => {
    for (const smimeType of ['signed-data', 'enveloped-data']) {
      const raw = 'From: Sam Signed <sam.signed@corp.example>\r\nTo: sign@corp.example\r\nSubject: Contract RITM0010005\r\nMIME-Version: 1.0\r\n'
        + `Content-Type: application/x-pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"\r\nContent-Disposition: attachment; filename="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIB\r\n`;
      const mail = await readRequestMail(raw);
      expect(parseRequestMail(mail, policy, NOW)).toMatchObject({ action: 'reject', reply: true, problems: [
        'your mail is S/MIME signed or encrypted (smime.p7m), which packs its PDF and its Signer lines where signrelay cannot read them: send it again without signing or encrypting it (a clear-signed mail works too)',
      ] });
      // It asked for a signature: a second try the same day is answered too (process-request-mail.ts).
      expect(asksForSignature(mail)).toBe(true);
    }
  });

  it('gives a single problem as it is', async () => {
    const decision = parseRequestMail(await buildMail({ text: 'Signer: Ann Lee <ann@corp.example>' }), policy, NOW);
    expect(decision.reason).toBe('attach the document to be signed as a PDF file');
  });

  it('fills in route defaults: signers, due days, the table for unknown prefixes', async () => {
    const mail = await requestMail('Please sign.', { to: 'sign+hr@corp.example', subject: 'Offer CASE0001234' });
    const decision = parseRequestMail(mail, policy, NOW);
    if (decision.action !== 'request') throw new Error(decision.reason);
    expect(decision.draft).toMatchObject({
      route: 'hr',
      record: { number: 'CASE0001234', table: 'sn_hr_core_case' },
      signers: [{ firstName: 'HR', lastName: 'Desk', email: 'hr.desk@corp.example' }],
      signersFrom: 'route',
      due: '2026-11-10',
    });
  });

  it('leaves signers empty when neither mail nor route names any', async () => {
    const decision = parseRequestMail(await requestMail('Tags are in the PDF.'), policy, NOW);
    if (decision.action !== 'request') throw new Error(decision.reason);
    expect(decision.draft).toMatchObject({ signers: [], signersFrom: 'none', due: '2026-11-17' });
  });

  it('asks for a record on a route that requires one', async () => {
    const decision = parseRequestMail(await requestMail('Signer: Ann Lee <ann@corp.example>', { subject: 'Please sign' }), policy, NOW);
    expect(decision).toMatchObject({ action: 'reject', reply: true, reason: 'name the ServiceNow record: put its number, e.g. RITM0010001, in the subject, or a line Record: RITM0010001 in the body' });
  });

  it('refuses more documents than allowed', async () => {
    const attachments = await Promise.all([1, 2, 3].map(async (n) => ({ filename: `part ${n}.pdf`, content: await samplePdf(n) })));
    const decision = parseRequestMail(await buildMail({ text: '', attachments }), testPolicy({ limits: { ...policy.limits, max_documents: 2 } }), NOW);
    expect(decision.reason).toBe('3 PDFs are attached but a request may have at most 2: send the others in another mail');
  });

  it('does not reply to signrelay itself when Reply-To names it: the From is answered', async () => {
    const mail = await buildMail({ text: 'no pdf', replyTo: 'Signing <sign@corp.example>' });
    expect(parseRequestMail(mail, policy, NOW)).toMatchObject({
      action: 'reject', reply: true, replyTo: 'ann.lee@corp.example',
      replyNote: 'not the Reply-To: sign@corp.example is signrelay\'s own address; the From is answered',
    });
  });

  describe('the ServiceNow instance (servicenow.senders and inbound_address), whose inbound actions file what it is sent on a record', () => {
    // The instance is in the allow-list, as the docs say to list it for "Send for signature".
    const withInstance = testPolicy({
      routes: { ...policy.routes, default: { ...policy.routes.default!, allowed_senders: ['*@corp.example', 'instance@service-now.com'] } },
      instanceSenders: ['instance@service-now.com'], instanceAddresses: ['instance@service-now.com', 'inbound@service-now.com'],
    });

    it('never gets a rejection a stranger routed to it by Reply-To: the From is answered', async () => {
      const withInbound = testPolicy({ ...withInstance, routes: { ...policy.routes, default: { ...policy.routes.default!, allowed_senders: ['*@corp.example', '*@service-now.com'] } } });
      for (const replyTo of ['instance@service-now.com', 'inbound@service-now.com', 'instance+desk@service-now.com', 'Inbound+x@Service-Now.com']) {
        const mail = await buildMail({ from: 'helen.officer@corp.example', replyTo, subject: 'Ref:MSG0000001_abc call +1-555-0100', text: 'Due: [code]<img src=x>[/code]' });
        expect(parseRequestMail(mail, withInbound, NOW)).toMatchObject({
          action: 'reject', reply: true, replyTo: 'helen.officer@corp.example',
          replyNote: `not the Reply-To: ${replyTo.toLowerCase()} is the ServiceNow instance, which files what it is sent on a record; the From is answered`,
        });
      }
    });

    it('never gets a rejection mailed to it as the From either: the record hears of it instead (refusal-on-record)', async () => {
      const mail = await buildMail({ from: 'instance@service-now.com', subject: 'RITM0010001 signed', text: 'no pdf' });
      const decision = parseRequestMail(mail, withInstance, NOW);
      expect(decision).toMatchObject({ action: 'reject', reply: false, record: { number: 'RITM0010001' } });
      expect(decision).not.toHaveProperty('replyTo');
      // Its mailbox with a +tag is not mailed either; but only a configured sender's mail is the instance's to note on a record.
      const tagged = parseRequestMail(await buildMail({ from: 'instance+desk@service-now.com', subject: 'RITM0010001 signed', text: 'no pdf' }), withInstance, NOW);
      expect(tagged).toMatchObject({ action: 'reject', reply: false });
      expect(tagged).not.toHaveProperty('replyTo');
      expect(tagged).not.toHaveProperty('record');
    });

    it('does not become the requester through a Reply-To, and stays it for a request it sent itself', async () => {
      const viaReplyTo = parseRequestMail(await requestMail('Signer: Ann Lee <ann@corp.example>', { from: 'pay@corp.example', replyTo: 'instance@service-now.com', subject: 'RITM0010001' }), withInstance, NOW);
      expect(viaReplyTo).toMatchObject({ action: 'request', draft: { requester: 'pay@corp.example' } });
      const itself = parseRequestMail(await requestMail('Signer: Ann Lee <ann@corp.example>', { from: 'instance@service-now.com', subject: 'RITM0010001' }), withInstance, NOW);
      expect(itself).toMatchObject({ action: 'request', draft: { requester: 'instance@service-now.com' } });
    });
  });

  it('rejects a mail without From, without a reply', async () => {
    const parsed = await requestMail('Signer: Ann Lee <ann@corp.example>');
    const mail = { ...parsed, from: undefined, replyTo: undefined, headerLines: parsed.headerLines.filter((h) => h.key !== 'from' && h.key !== 'reply-to') };
    expect(parseRequestMail(mail, policy, NOW)).toMatchObject({ action: 'reject', reply: false, reason: expect.stringMatching(/no From address/) });
  });

  it('checks for machine mail before the sender', async () => {
    const mail = await requestMail('', { from: 'MAILER-DAEMON@mx.partner.example', to: 'sign+hr@corp.example' });
    expect(parseRequestMail(mail, policy, NOW)).toMatchObject({ action: 'ignore' });
  });

  it('reads Signer lines from an HTML-only mail', async () => {
    const mail = await buildMail({
      html: '<div dir="ltr"><p>Signer 2: Bob Stone &lt;bob@partner.example&gt;</p><p>Signer 1: Ann Lee &lt;<a href="mailto:ann@corp.example">ann@corp.example</a>&gt;</p></div>',
      attachments: [{ filename: 'c.pdf', content: await samplePdf() }],
    });
    const decision = parseRequestMail(mail, policy, NOW);
    if (decision.action !== 'request') throw new Error(decision.reason);
    expect(decision.draft.signers.map((s) => s.email)).toEqual(['ann@corp.example', 'bob@partner.example']);
  });

  it('decodes every HTML entity in an HTML-only mail\'s names', async () => {
    const mail = await buildMail({
      html: '<p>Signer: J&uuml;rgen M&uuml;ller &lt;j@partner.example&gt;</p><p>Signer: &#x00C9;lodie Fa&#231;on &lt;e@partner.example&gt;</p>',
      attachments: [{ filename: 'c.pdf', content: await samplePdf() }],
    });
    const decision = parseRequestMail(mail, policy, NOW);
    if (decision.action !== 'request') throw new Error(decision.reason);
    expect(decision.draft.signers.map((s) => `${s.firstName} ${s.lastName}`)).toEqual(['Jürgen Müller', 'Élodie Façon']);
  });
});

describe('joinProblems (the reason logged and stored)', () => {
  it('is one problem as it is, several as a list, at most five of 1,000 characters each, with a count of the rest', () => {
    expect(joinProblems(['add a Signer: line'])).toBe('add a Signer: line');
    expect(joinProblems(['a', 'b'])).toBe('- a\n- b');
    const reason = joinProblems(Array.from({ length: 900 }, (_, i) => `${'x'.repeat(2_000)}${i}.pdf is not a PDF file`));
    expect(reason.split('\n')).toHaveLength(6);
    expect(reason.split('\n').at(-1)).toBe('- and 895 more');
    expect(reason.length).toBeLessThan(5 * 1_003 + 20);
  });
});
