// The reply command parser: the first non-empty line of the reply's own text (above a quote,
// or below a `>` quote), in any case and spacing; quoted text, quote headers and signatures are never read as a command; an HTML-only
// reply is read through the same HTML-to-text conversion as a request.
import { describe, expect, it } from 'vitest';
import { requestBodyText } from '../../src/message/html-to-text.ts';
import { parseReplyCommand, MAX_REASON_CHARS } from '../../src/conversation/parse-reply-command.ts';

describe('parseReplyCommand', () => {
  it.each([
    ['status', { name: 'status' }],
    ['  STATUS  ', { name: 'status' }],
    ['\n\n\tStatus.\n> cancel', { name: 'status' }],
    ['Remind', { name: 'remind' }],
    ['remind please', { name: 'remind' }],
    ['*remind*', { name: 'remind' }],
    ['cancel', { name: 'cancel', reason: '' }],
    ['Cancel: wrong   version\nThanks, Helen', { name: 'cancel', reason: 'wrong version' }],
    ['CANCEL the contract changed\r\n\r\n-- \r\nHelen', { name: 'cancel', reason: 'the contract changed' }],
    ['cancel a\u2028b', { name: 'cancel', reason: 'a b' }],
    ['\u00a0cancel\u00a0too late', { name: 'cancel', reason: 'too late' }],
    ['extend 2026-12-24', { name: 'extend', until: { date: '2026-12-24' } }],
    ['Extend to 2026-1-5.', { name: 'extend', until: { date: '2026-01-05' } }],
    ['extend 7d', { name: 'extend', until: { days: 7 } }],
    ['extend 10 days', { name: 'extend', until: { days: 10 } }],
    ['extend by 2 weeks', { name: 'extend', until: { days: 14 } }],
    ['On Tue, 3 Dec 2026 at 10:00, signrelay <sign@corp.example> wrote:\n> Reply cancel to withdraw it.\n>\n\ncancel wrong file', { name: 'cancel', reason: 'wrong file' }],
    ['\u200bstatus', { name: 'status' }],
    // A line of the writer's ending in a colon above a quote is no attribution: it names no date, address or "wrote".
    ['Cancel - wrong version, see his note:\n> The clause is wrong.', { name: 'cancel', reason: 'wrong version, see his note:' }],
    ['Status?', { name: 'status' }],
    ['ｓｔａｔｕｓ。', { name: 'status' }],
    ['cancel：wrong file', { name: 'cancel', reason: 'wrong file' }],
    ['remind！', { name: 'remind' }],
    ['remind them please', { name: 'remind' }],
    ['cancel - wrong version', { name: 'cancel', reason: 'wrong version' }],
    ['cancel: wrong version, the vendor asked if we could resend', { name: 'cancel', reason: 'wrong version, the vendor asked if we could resend' }],
    ['extend ２０２６-１２-２４', { name: 'extend', until: { date: '2026-12-24' } }],
    ['extend 2026/12/24', { name: 'extend', until: { date: '2026-12-24' } }],
    // Apple Mail and iPhone put their "On … wrote:" inside the quote, and the writer answers below it.
    ['> On 3 Dec 2026, at 10:00, signrelay <sign@corp.example> wrote:\n>\n> Reply cancel to withdraw it.\n\ncancel wrong file', { name: 'cancel', reason: 'wrong file' }],
    // Below a quote whose attribution no pattern knows: the line ending in a colon above the > lines.
    ['Иван Петров пишет:\n> Reply cancel to withdraw it.\n\nstatus', { name: 'status' }],
    ['2026年12月3日(火) 10:00 signrelay <sign@corp.example>:\n> Reply cancel to withdraw it.\n\nremind', { name: 'remind' }],
    ['---- On Tue, 03 Dec 2026 10:00:00 +0000 signrelay <sign@corp.example> wrote ----\n> Reply cancel to withdraw it.\n\nstatus', { name: 'status' }],
    // Gmail's text part wraps a long attribution inside the address.
    ['On Tue, 3 Dec 2026 at 10:00, signrelay requests desk <\nsign@corp.example> wrote:\n> Reply cancel to withdraw it.\n\nremind', { name: 'remind' }],
  ])('%j → %j', (text, expected) => {
    expect(parseReplyCommand(text)).toEqual(expected);
  });

  it.each([
    ['', 'none'],
    ['\n  \n', 'none'],
    ['> status\n> remind', 'none'],
    ['On Tue, 3 Dec 2026 at 10:00, signrelay <sign@corp.example> wrote:\n> status', 'none'],
    ['-----Original Message-----\nFrom: signrelay\nstatus', 'none'],
    ['From: signrelay <sign@corp.example>\nSent: Tuesday\nstatus', 'none'],
    ['-- \nstatus', 'none'],
    ['Begin forwarded message:\n\nstatus', 'none'],
    ['On Tue, 3 Dec 2026 at 10:00, signrelay <sign@corp.example> wrote:\n> status\n\n-- \nstatus', 'none'],
  ])('no command above the quote or signature: %j', (text, name) => {
    expect(parseReplyCommand(text).name).toBe(name);
  });

  it.each([
    ['please sign faster', 'it is not a command signrelay knows'],
    ['cancellation please', 'it is not a command signrelay knows'],
    ['extend', 'extend needs a date (extend 2026-12-24) or a number of days (extend 7d)'],
    ['extend soon', 'extend needs a date (extend 2026-12-24) or a number of days (extend 7d)'],
    ['extend 0d', 'extend needs a date (extend 2026-12-24) or a number of days (extend 7d)'],
    ['extend 2026-02-30', '2026-02-30 is not a calendar date'],
    // A question or a condition is no order: cancel is carried out at once and cannot be undone.
    ['Cancel or extend? Bob is away until the 20th.', 'it asks a question, and cancel withdraws the request at once: to withdraw it, write cancel (and a reason) on the first line'],
    ['Cancel ? Bob is away', 'it asks a question, and cancel withdraws the request at once: to withdraw it, write cancel (and a reason) on the first line'],
    ['Cancel it if Bob hasn\'t signed by Friday.', 'cancel withdraws the request at once, never on a condition: write cancel on the first line when you want it withdrawn'],
    ['cancel unless Ann signs today', 'cancel withdraws the request at once, never on a condition: write cancel on the first line when you want it withdrawn'],
    ['Remind: no need, Bob signed', 'to remind the signers, write remind alone on the first line'],
  ])('unknown: %j', (text, problem) => {
    expect(parseReplyCommand(text)).toMatchObject({ name: 'unknown', problem });
  });

  // A cancel cannot be undone: words right after it that may say "do not cancel" are refused (conversation review M1).
  it.each([
    'Cancel: no need, Bob signed already.',
    'Cancel not needed, Bob signed already.',
    'cancel - no, wait, ignore my last mail',
    'Cancel nothing yet please',
    'Cancel — never mind',
    'cancel it, no wait',
    'cancel: don\u2019t, Bob is signing now',
    'Cancel: please don\'t',
    'cancel: do not',
    'CANCEL NOPE',
    'cancel - ignore that',
    'cancel: hold on',
    'cancel: oh wait',
  ])('a negated cancel is refused: %j', (text) => {
    expect(parseReplyCommand(text)).toMatchObject({ name: 'unknown', problem: expect.stringContaining('may say not to cancel') });
  });

  it.each([
    ['cancel: wrong version', 'wrong version'],
    ['cancel - the signer is not available', 'the signer is not available'],
    ['Cancel: Bob has no access to the portal', 'Bob has no access to the portal'],
    ['cancel: notary needed instead', 'notary needed instead'],
    ['cancel no-show signer', 'no-show signer'],
    ['cancel: nobody needs it now', 'nobody needs it now'],
    ['cancel it, HR no longer needs it', 'it, HR no longer needs it'],
    ['Cancel: northern office signs on paper', 'northern office signs on paper'],
    // The commonest reasons start with "no longer", "no show", "not the …" (diff review 22 L2).
    ['Cancel: no longer required', 'no longer required'],
    ['cancel no longer needed by HR', 'no longer needed by HR'],
    ['Cancel: No show, candidate withdrew', 'No show, candidate withdrew'],
    ['cancel: not the final version, new one follows', 'not the final version, new one follows'],
  ])('a reason with a negation further on is still a cancel: %j', (text, reason) => {
    expect(parseReplyCommand(text)).toEqual({ name: 'cancel', reason });
  });

  it.each([
    ['Remind?', 'to remind the signers, write remind alone on the first line'],
    ['extend? to when?', 'it asks a question: to move the due date, write extend 2026-12-24 or extend 7d on the first line'],
  ])('unknown: %j', (text, problem) => {
    expect(parseReplyCommand(text)).toMatchObject({ name: 'unknown', problem });
  });

  describe('an "external sender" banner a gateway put on top of the reply', () => {
    const caution = 'CAUTION: This email originated from outside of the organization. Do not click links or open attachments unless you recognize the sender and know the content is safe.';
    it.each([
      ['Microsoft 365 transport rule', `${caution}\n\nstatus\n\nOn Tue, 3 Nov 2026 at 10:00, signrelay <sign@corp.example> wrote:\n> Hello,`, { name: 'status' }],
      ['[EXTERNAL] tag alone', '[EXTERNAL]\ncancel wrong file', { name: 'cancel', reason: 'wrong file' }],
      ['EXTERNAL EMAIL: warning', 'EXTERNAL EMAIL: Use caution with links and attachments.\nremind', { name: 'remind' }],
      ['a bold banner in an HTML reply', '**EXTERNAL SENDER**\nextend 7d', { name: 'extend', until: { days: 7 } }],
      ['Microsoft\'s first-contact tip under a second gateway\'s tag', "[EXT]\nYou don't often get email from helen@partner.example. Learn why this is important<https://aka.ms/LearnAboutSenderIdentification>\nstatus", { name: 'status' }],
      ['This message came from outside …', 'This message came from outside your organization.\n\nstatus', { name: 'status' }],
    ])('is passed over: %s', (_what, text, command) => {
      expect(parseReplyCommand(text)).toEqual(command);
    });

    it('never lets a quoted line be the command, nor a line below the writer\'s own first', () => {
      expect(parseReplyCommand(`${caution}\n\nOn Tue, 3 Nov 2026, signrelay <sign@corp.example> wrote:\n> cancel`)).toEqual({ name: 'none' });
      expect(parseReplyCommand('[EXTERNAL]\nThanks!\ncancel')).toMatchObject({ name: 'unknown', line: 'Thanks!' });
      // A command word is never a banner, whatever follows it.
      expect(parseReplyCommand('cancel: this email is from external counsel')).toEqual({ name: 'cancel', reason: 'this email is from external counsel' });
      expect(parseReplyCommand('Warning: the signer is on leave\ncancel')).toMatchObject({ name: 'unknown' });
      // diff review 19 L1: a writer's own line that mentions something external is no banner.
      expect(parseReplyCommand('Warning: the external signer is on leave.\ncancel')).toMatchObject({ name: 'unknown', line: 'Warning: the external signer is on leave.' });
      expect(parseReplyCommand('This message is for the external lawyer too.\ncancel')).toMatchObject({ name: 'unknown' });
      expect(parseReplyCommand('Notice: external review pending\ncancel')).toMatchObject({ name: 'unknown' });
    });
  });

  describe('a classification marking the writer\'s mail client puts on top of every mail (conversation review L3)', () => {
    it.each([
      ['OFFICIAL\n\ncancel wrong file', { name: 'cancel', reason: 'wrong file' }],
      ['OFFICIAL: Sensitive\nstatus', { name: 'status' }],
      ['Classification: Internal\n\nstatus', { name: 'status' }],
      ['Sensitivity: Confidential\nremind', { name: 'remind' }],
      ['[SEC=OFFICIAL]\nextend 7d', { name: 'extend', until: { days: 7 } }],
      ['[SEC=OFFICIAL:Sensitive, ACCESS=Legal-Privilege]\nstatus', { name: 'status' }],
      ['**PROTECTED**\nstatus', { name: 'status' }],
      ['Security Classification: Highly Confidential\nstatus', { name: 'status' }],
      ['[EXTERNAL]\nOFFICIAL\nstatus', { name: 'status' }],
    ])('is passed over: %j', (text, command) => {
      expect(parseReplyCommand(text)).toEqual(command);
    });

    it('only a whole marking line, within the banners\' cap of three', () => {
      expect(parseReplyCommand('Official reply: please cancel\nstatus')).toMatchObject({ name: 'unknown', line: 'Official reply: please cancel' });
      expect(parseReplyCommand('Classification: this one is wrong, the vendor said so\ncancel')).toMatchObject({ name: 'unknown' });
      expect(parseReplyCommand('cancel: confidential')).toEqual({ name: 'cancel', reason: 'confidential' });
      expect(parseReplyCommand('[EXTERNAL]\n[EXT]\nOFFICIAL\nOFFICIAL\nstatus')).toMatchObject({ name: 'unknown', line: 'OFFICIAL' });
    });
  });

  it('quotes an unknown line on one bounded line, and bounds a reason', () => {
    const unknown = parseReplyCommand(`${'x'.repeat(500)}`);
    expect(unknown.name === 'unknown' && Array.from(unknown.line).length).toBe(80);
    const cancel = parseReplyCommand(`cancel ${'y'.repeat(2_000)}`);
    expect(cancel.name === 'cancel' && Array.from(cancel.reason).length).toBe(MAX_REASON_CHARS);
  });

  it('reads an HTML-only reply above its quote', () => {
    const html = '<html><body><div dir="ltr">Cancel&nbsp;<b>wrong</b> signer</div><br><div class="gmail_quote"><div>On Tue, signrelay wrote:</div><blockquote>status</blockquote></div></body></html>';
    const text = requestBodyText({ text: undefined, html, headers: new Map([['content-type', { value: 'text/html', params: {} }]]) } as never);
    expect(parseReplyCommand(text)).toEqual({ name: 'cancel', reason: 'wrong signer' });
  });
});
