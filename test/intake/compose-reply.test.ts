// The rejection reply: addressing, threading, loop protection and what it tells the requester.
import { describe, expect, it } from 'vitest';
import MailComposer from 'nodemailer/lib/mail-composer';
import { composeRejectionReply, REQUEST_LANGUAGE_HELP, replySubject, requestLanguageHelp } from '../../src/intake/compose-reply.ts';
import { findDirectives } from '../../src/intake/directive-lines.ts';
import { parseRequestMail } from '../../src/intake/parse-request.ts';
import { readRequestMail } from '../../src/message/read-request-mail.ts';
import { NOW, readFixture, testPolicy } from './intake-helpers.ts';

const FROM = 'signrelay <signrelay@corp.example>';

describe('composeRejectionReply', () => {
  it('answers the address it is given, in the thread, marked as automatic', async () => {
    const mail = await readFixture('many-problems.eml');
    const reply = composeRejectionReply(mail, ['first problem', 'second problem'], FROM, { to: 'procurement@corp.example' });
    expect(reply).toMatchObject({
      from: FROM,
      to: 'procurement@corp.example',
      subject: 'Re: RITM0010007 and RITM0010008 agreements',
      inReplyTo: '<CAE9m0+problems.1@mail.corp.example>',
      references: ['<CAE9m0+first.0@mail.corp.example>', '<CAE9m0+earlier.0@mail.corp.example>', '<CAE9m0+problems.1@mail.corp.example>'],
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Signrelay': 'reply', 'X-Auto-Response-Suppress': 'All' },
    });
    expect(reply.replyTo).toBeUndefined();
  });

  it('defuses the links in the problems it quotes back: a forged sender\'s text reaches its victim inert', () => {
    const problems = ['"Signer: your payroll is blocked, verify at https://evil.example/login or www.evil.example" has no address'];
    const text = String(composeRejectionReply({ subject: 'x', messageId: '<m@x>' }, problems, FROM, { to: 'victim@corp.example' }).text);
    expect(text).toContain('verify at https[:]//evil.example/login or www[.]evil.example');
    expect(text).not.toMatch(/https:\/\/evil|www\.evil/);
  });

  it('threads on a mail without References', async () => {
    const mail = await readFixture('fake-pdf.eml');
    const reply = composeRejectionReply(mail, ['contract.pdf is not a PDF file: save it as PDF'], FROM, { to: 'mark.otieno@corp.example' });
    expect(reply.references).toEqual(['<a1b2c3d4-e5f6-4711-8899-aabbccddeeff@corp.example>']);
  });

  it('threads only on ids that fit a header as they are: an over-long one, or one with a line break, is left out', () => {
    const long = `<${'a'.repeat(1_200)}@corp.example>`;
    const broken = '<a@b>\r\nBcc: victim@evil.example';
    const reply = composeRejectionReply({ subject: 'x', messageId: long, references: [broken, '<ok@corp.example>'] }, ['p'], FROM, { to: 'a@corp.example' });
    expect(reply.inReplyTo).toBeUndefined();
    expect(reply.references).toEqual(['<ok@corp.example>']);
    expect(composeRejectionReply({ subject: 'x', messageId: broken }, ['p'], FROM, { to: 'a@corp.example' })).not.toHaveProperty('inReplyTo');
  });

  it('quotes nothing unbounded: the subject cut and its links defused, each problem one bounded line, at most five', () => {
    const subject = `URGENT verify your payroll at https://evil.example/login and www.evil.example ${'x'.repeat(5_000)}`;
    const problems = Array.from({ length: 12 }, (_, i) => `problem ${i + 1}: ${'y'.repeat(1_000)}\r\nInjected: line`);
    const reply = composeRejectionReply({ subject, messageId: '<m@x>' }, problems, FROM, { to: 'a@corp.example' });
    const text = String(reply.text);
    expect(String(reply.subject).length).toBeLessThanOrEqual(204);
    expect(reply.subject).toContain('https[:]//evil.example');
    expect(text).not.toContain('https://evil');
    expect(text).not.toContain('www.evil');
    expect(text).not.toMatch(/^Injected:/m);
    const listed = text.split('\n').filter((l) => l.startsWith('- '));
    expect(listed).toHaveLength(6);
    expect(listed.at(-1)).toBe('- and 7 more problems: fix these first, then send the mail again');
    expect(Math.max(...listed.map((l) => l.length))).toBeLessThanOrEqual(1002);
    expect(text.length).toBeLessThan(7_000);
  });

  // outgoing review L1: Gmail threads the answer with the request only when its subject is the request's behind Re:.
  it('repeats a long subject whole behind Re:, so a client that threads by subject threads the answer', () => {
    const subject = 'Employment contract for Maria Fernanda Gonzalez-Rodriguez, Senior Platform Engineer, Oslo office, RITM0010005';
    expect(composeRejectionReply({ subject, messageId: '<m@x>' }, ['no PDF'], FROM, { to: 'a@corp.example' }).subject).toBe(`Re: ${subject}`);
  });

  it('says what was wrong, how to write a request, and which mail it answers', async () => {
    const mail = await readFixture('fake-pdf.eml');
    const text = String(composeRejectionReply(mail, ['contract.pdf is not a PDF file: save it as PDF'], FROM, { to: 'mark.otieno@corp.example', requestAddress: 'sign@corp.example' }).text);
    expect(text).toContain('\n- contract.pdf is not a PDF file: save it as PDF\n');
    expect(text).toContain('send the mail again to sign@corp.example, with the PDF attached');
    expect(text).toContain(requestLanguageHelp('sign@corp.example'));
    expect(text).toContain('> Subject: Contract RITM0010005\n> Date: Thu, 12 Nov 2026 13:45:09 GMT');
  });

  it('sets Reply-To to the request address when given, so a corrected reply arrives', async () => {
    const reply = composeRejectionReply(await readFixture('fake-pdf.eml'), ['x'], FROM, { to: 'mark.otieno@corp.example', requestAddress: 'sign+hr@corp.example' });
    expect(reply.replyTo).toBe('sign+hr@corp.example');
    expect(String(reply.text)).toContain('To:         sign+hr@corp.example, or sign+ROUTE@corp.example');
  });

  it('is ignored when it comes back to signrelay', async () => {
    const reply = composeRejectionReply(await readFixture('fake-pdf.eml'), ['reason'], FROM, { to: 'mark.otieno@corp.example' });
    const raw = await new MailComposer({ ...reply, to: 'sign@corp.example' }).compile().build();
    expect(parseRequestMail(await readRequestMail(raw), testPolicy({ ownAddresses: [] }), NOW)).toMatchObject({ action: 'ignore', reason: expect.stringMatching(/X-Signrelay/) });
  });
});

describe('replySubject', () => {
  it.each([
    ['Contract RITM0010001', 'Re: Contract RITM0010001'],
    ['Re: Contract', 'Re: Contract'],
    ['RE: re: Contract', 'Re: Contract'],
    ['AW: Vertrag', 'Re: Vertrag'],
    ['Re[2]: Contract', 'Re: Contract'],
    ['Fwd: Lease', 'Re: Fwd: Lease'],
    ['Regarding the contract', 'Re: Regarding the contract'],
    ['', 'Re: your signature request'],
    ['VS: Re: VS: Sent for signature: X', 'Re: Sent for signature: X'],
    ['Odp: RIF: SV: Vs: Sent for signature: X', 'Re: Sent for signature: X'],
    ['ΑΠ: Sent for signature: X', 'Re: Sent for signature: X'],
    ['回复：Sent for signature: X', 'Re: Sent for signature: X'],
    ['RE: TR : Contrat', 'Re: TR: Contrat'],
    ['Re: WG: Re: WG: Vertrag', 'Re: WG: Vertrag'],
    ['Fw: Re: Fwd: Lease', 'Re: Fw: Lease'],
    ['Trade agreement: review', 'Re: Trade agreement: review'],
  ])('%j → %j', (subject, reply) => {
    expect(replySubject(subject)).toBe(reply);
  });
});

describe('REQUEST_LANGUAGE_HELP', () => {
  it('names every part of the request language', () => {
    for (const word of ['sign+ROUTE@corp.example', 'RITM0010001', 'Signer 1:', 'Due: 2026-12-24', 'Due: 14d', 'Record:', 'PDF']) {
      expect(REQUEST_LANGUAGE_HELP).toContain(word);
    }
  });

  it('is never read as a request when quoted back', () => {
    for (const keyword of ['signer', String.raw`due(?:\s+date)?`, 'record']) {
      expect(findDirectives(REQUEST_LANGUAGE_HELP, keyword)).toEqual([]);
      expect(findDirectives(REQUEST_LANGUAGE_HELP.replace(/^/gm, '> '), keyword)).toEqual([]);
    }
  });
});
