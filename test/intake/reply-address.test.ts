// Who a reply goes to: the Reply-To only when it could have sent the request itself, and
// addresses read as they came — never what a decoder makes of them.
import { describe, expect, it } from 'vitest';
import { asciiAddress } from '../../src/ascii-address.ts';
import { headerAddresses } from '../../src/message/mail-address.ts';
import { parseRequestMail } from '../../src/intake/parse-request.ts';
import { readRequestMail } from '../../src/message/read-request-mail.ts';
import { chooseReplyAddress, type ReplyAddressRules } from '../../src/intake/reply-address.ts';
import { isSenderAllowed } from '../../src/message/sender-allowed.ts';
import { NOW, testPolicy } from './intake-helpers.ts';

const corpOnly: ReplyAddressRules = {
  allowed: (a) => isSenderAllowed(a, ['*@corp.example']), allowedSetting: 'routes.default.allowed_senders', authenticated: false,
  ownAddresses: ['sign@corp.example', 'returns@corp.example'],
  isInstance: (a) => isSenderAllowed(a, ['instance@service-now.com']),
};

describe('chooseReplyAddress', () => {
  it.each([
    ['an allowed Reply-To is answered', { sender: 'pay@corp.example', replyTo: 'team@corp.example' }, corpOnly, 'team@corp.example', null],
    ['a Reply-To outside the allow-list is passed over for the From', { sender: 'pay@corp.example', replyTo: 'victim@third.example' }, corpOnly, 'pay@corp.example',
      'not the Reply-To: victim@third.example is not allowed by routes.default.allowed_senders; the From is answered'],
    ['with authentication required, a Reply-To outside the From domain is passed over', { sender: 'pay@corp.example', replyTo: 'victim@third.example' },
      { ...corpOnly, allowed: () => true, authenticated: true }, 'pay@corp.example', 'not the Reply-To: victim@third.example is not in the authenticated From domain; the From is answered'],
    ['with authentication required, a Reply-To in a subdomain of the From\'s is answered', { sender: 'pay@corp.example', replyTo: 'team@hr.corp.example' },
      { ...corpOnly, authenticated: true, allowed: () => true }, 'team@hr.corp.example', null],
    ['signrelay\'s own address is never answered', { sender: 'pay@corp.example', replyTo: 'sign+hr@corp.example' }, corpOnly, 'pay@corp.example',
      'not the Reply-To: sign+hr@corp.example is signrelay\'s own address; the From is answered'],
    ['the ServiceNow instance named as Reply-To is never answered, even when the allow-list lists it', { sender: 'pay@corp.example', replyTo: 'instance@service-now.com' },
      { ...corpOnly, allowed: () => true }, 'pay@corp.example',
      'not the Reply-To: instance@service-now.com is the ServiceNow instance, which files what it is sent on a record; the From is answered'],
    ['the instance as the From (a request it sent itself) stays the requester', { sender: 'instance@service-now.com', replyTo: null },
      { ...corpOnly, allowed: () => true }, 'instance@service-now.com', null],
    ['nobody, when neither may be', { sender: 'x@third.example', replyTo: 'y@third.example' }, corpOnly, null,
      'y@third.example is not allowed by routes.default.allowed_senders; x@third.example is not allowed by routes.default.allowed_senders'],
  ])('%s', (_, facts, rules, to, note) => {
    expect(chooseReplyAddress(facts, rules)).toEqual({ to, note });
  });
});

describe('addresses as they came', () => {
  const raw = async (headers: string) => readRequestMail(Buffer.from(`${headers}\r\nTo: sign@corp.example\r\nSubject: x\r\n\r\nbody\r\n`));

  it('refuses an address whose punycode domain decodes to another (x@xn--corp-.xn--example- shows as x@corp.example)', async () => {
    const mail = await raw('From: Payroll <x@xn--corp-.xn--example->');
    expect(mail.from?.value[0]?.address).toBe('x@corp.example');
    expect(headerAddresses(mail, 'from')).toEqual({ addresses: [], problem: 'the From address x@xn--corp-.xn--example- is not a usable address' });
    const decision = parseRequestMail(mail, testPolicy({ routes: { default: { ...testPolicy().routes.default!, allowed_senders: ['*@corp.example'] } } }), NOW);
    expect(decision).toMatchObject({ action: 'reject', reply: false, reason: expect.stringContaining('filed without a reply') });
  });

  it('refuses a From made of an encoded word that decodes to an address', async () => {
    expect(headerAddresses(await raw('From: =?utf-8?b?PGV2aWxAY29ycC5leGFtcGxlPg==?='), 'from').problem).toContain('decodes to other addresses (evil@corp.example)');
  });

  it('refuses two From fields (mailparser shows the last one)', async () => {
    expect(headerAddresses(await raw('From: a@corp.example\r\nFrom: b@evil.example'), 'from').problem).toBe('the mail has 2 From fields');
  });

  it('refuses a From whose local part routes elsewhere: no reply goes to it, and no allow-list lets it in', async () => {
    const mail = await raw('From: "evil@attacker.example"@corp.example');
    expect(headerAddresses(mail, 'from').problem).toMatch(/^the From address .* is not a usable address$/);
    expect(isSenderAllowed('"evil@attacker.example"@corp.example', ['*@corp.example'])).toBe(false);
    expect(isSenderAllowed('evil%attacker.example@corp.example', ['*@corp.example'])).toBe(false);
  });

  it('keeps a real internationalised domain, compared in ASCII form on both sides', async () => {
    const mail = await raw('From: Jörg <joerg@xn--mnchen-3ya.de>\r\nReply-To: team@münchen.de');
    expect(headerAddresses(mail, 'from')).toEqual({ addresses: ['joerg@xn--mnchen-3ya.de'], problem: null });
    expect(headerAddresses(mail, 'reply-to')).toEqual({ addresses: ['team@xn--mnchen-3ya.de'], problem: null });
    expect(isSenderAllowed('joerg@xn--mnchen-3ya.de', ['*@münchen.de'])).toBe(true);
    expect(isSenderAllowed('joerg@münchen.de', ['*@xn--mnchen-3ya.de'])).toBe(true);
  });

  it.each([
    ['Ann@Corp.Example', 'ann@corp.example'],
    ['a@xn--corp-', null],
    ['no-at-sign', null],
    ['"evil@attacker.example"@corp.example', null],
    ['evil@attacker.example@corp.example', null],
    ['evil%attacker.example@corp.example', null],
    ['attacker.example!evil@corp.example', null],
    ['taro..yamada@docomo.ne.jp', 'taro..yamada@docomo.ne.jp'],
    ['jose\u0301@corp.example', 'jose\u0301@corp.example'],
    ['राम@corp.example', 'राम@corp.example'],
    ['ann lee@corp.example', null],
    ['ann.lee+hr@corp.example', 'ann.lee+hr@corp.example'],
    ["o'brien@corp.example", "o'brien@corp.example"],
    ['jörg@xn--mnchen-3ya.de', 'jörg@xn--mnchen-3ya.de'],
    ['joerg@München.de', 'joerg@xn--mnchen-3ya.de'],
    // A domain the URL parser cuts or maps (security review 5): refused, not read as corp.example.
    ['y@corp.example/evil.example', null],
    ['y@corp.example?x', null],
    ['y@corp.example\\x', null],
    ['y@corp.example#x', null],
    ['y@corp.exam\u200bple', null],
    ['y@corp.exam\u00adple', null],
    ['y@\uff43orp.example', null],
    ['y@corp\u3002example', null],
    // Past what SMTP carries (RFC 5321: a local part of 64 octets, an address of 254) — an
    // outsider's 900 KB From went into log lines, rows and an alert's subject — or a domain
    // with an empty label (a trailing root dot was a second spelling of one mailbox, with a
    // reply budget of its own).
    [`${'a'.repeat(64)}@corp.example`, `${'a'.repeat(64)}@corp.example`],
    [`${'a'.repeat(65)}@corp.example`, null],
    [`${'é'.repeat(33)}@corp.example`, null],
    [`a@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.example`, `a@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.example`],
    [`ab@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.exampl`, `ab@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.exampl`],
    [`abc@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.example`, null],
    ['victim@gmail.com.', null],
    ['victim@gmail..com', null],
  ])('asciiAddress(%j) = %j', (address, ascii) => {
    expect(asciiAddress(address)).toBe(ascii);
  });
});
