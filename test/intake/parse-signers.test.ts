// Signer lines, as mail clients mangle them, and the fall-backs when there are none.
import { describe, expect, it } from 'vitest';
import { nameFromAddress, parseSigners } from '../../src/intake/parse-signers.ts';

const NO_DEFAULTS = { name: 'default', signers: [] };
const show = (s: { firstName: string; lastName: string; email: string }) => `${s.firstName}|${s.lastName}|${s.email}`;

const accepted: Array<[label: string, body: string, signers: string[]]> = [
  ['one line', 'Signer: Ann Lee <ann.lee@corp.example>', ['Ann|Lee|ann.lee@corp.example']],
  ['numbered lines in number order', 'Signer 2: Bob Stone <bob@partner.example>\nSigner 1: Ann Lee <ann@corp.example>', ['Ann|Lee|ann@corp.example', 'Bob|Stone|bob@partner.example']],
  ['unnumbered lines in the order written', 'Signer: Cy Dee <cy@corp.example>\nSigner: Ann Lee <ann@corp.example>', ['Cy|Dee|cy@corp.example', 'Ann|Lee|ann@corp.example']],
  ['any case and spacing', 'SIGNER 1 : Ann Lee <ann@corp.example>\nsigner2: Bob Stone <bob@corp.example>', ['Ann|Lee|ann@corp.example', 'Bob|Stone|bob@corp.example']],
  ['bullets and list numbers', '- Signer: A One <a@x.example>\n• Signer: B Two <b@x.example>\n* Signer: C Three <c@x.example>\n1. Signer: D Four <d@x.example>\n·         Signer: E Five <e@x.example>', ['A|One|a@x.example', 'B|Two|b@x.example', 'C|Three|c@x.example', 'D|Four|d@x.example', 'E|Five|e@x.example']],
  ['Outlook\'s nested-list bullets in its text part', 'o   Signer 1: A One <a@x.example>\n§  Signer 2: B Two <b@x.example>', ['A|One|a@x.example', 'B|Two|b@x.example']],
  ['bold markers from HTML', '*Signer:* Ann Lee <ann@corp.example>', ['Ann|Lee|ann@corp.example']],
  ['a full-width colon', 'Signer：山田 太郎 <taro.yamada@corp.example>', ['山田|太郎|taro.yamada@corp.example']],
  ['Outlook mailto noise', 'Signer: Ann Lee <ann@corp.example<mailto:ann@corp.example>>', ['Ann|Lee|ann@corp.example']],
  ['"Last, First" form', 'Signer: "Lee, Ann" <ann@corp.example>', ['Ann|Lee|ann@corp.example']],
  ['a bare address', 'Signer: ann.lee@corp.example', ['Ann|Lee|ann.lee@corp.example']],
  // Names review M4: an internationalised domain in its ASCII (IDNA) form, which a tag can carry; the local part as written.
  ['a CJK domain, in its ASCII form', 'Signer: Li Lei <lilei@例子.广告>', ['Li|Lei|lilei@xn--fsqu00a.xn--4rr70v']],
  ['a Latin IDN domain, in its ASCII form', 'Signer: Jörg Müller <jörg@bücher.example>', ['Jörg|Müller|jörg@xn--bcher-kva.example']],
  ['a domain in ASCII form already, as written', 'Signer: Li Lei <lilei@xn--fsqu00a.xn--4rr70v>', ['Li|Lei|lilei@xn--fsqu00a.xn--4rr70v']],
  ['a full-width letter in the domain, not mapped to another domain', 'Signer: Ann Lee <ann@ｃorp.example>', ['Ann|Lee|ann@ｃorp.example']],
  ['a first name only', 'Signer: Ann <a.lee@corp.example>', ['Ann|Lee|a.lee@corp.example']],
  ['a first name the address begins with', 'Signer: Ann <ann.lee@corp.example>', ['Ann|Lee|ann.lee@corp.example']],
  // Names review M2: a name of one word that the address only spells again gets no surname made of it.
  ['a one-word name the address ends with', 'Signer: Sukarno <president.sukarno@example.id>', ['Sukarno||president.sukarno@example.id']],
  ['a one-word name the address spells whole', "Signer: d'Artagnan <d.artagnan@example.fr>", ["d'Artagnan||d.artagnan@example.fr"]],
  ['non-breaking spaces and a trailing comma', 'Signer:\u00a0Zoë\u00a0Ångström <zoe@corp.example>,', ['Zoë|Ångström|zoe@corp.example']],
  ['quoted lines when nothing else', '> Signer: Ann Lee <ann@corp.example>', ['Ann|Lee|ann@corp.example']],
  ['quoted lines lose to unquoted ones', 'Signer: Bob Stone <bob@corp.example>\n\n> Signer: Ann Lee <ann@corp.example>', ['Bob|Stone|bob@corp.example']],
  ['an inline forward\'s lines lose to the writer\'s own', 'Signer: Ann Lee <ann@corp.example>\n\n---------- Forwarded message ---------\nFrom: Bob <bob@vendor.example>\n\nSigner 1: Bob Vendor <bob@attacker.example>', ['Ann|Lee|ann@corp.example']],
  ['lines below an Outlook header block lose too', 'Signer: Ann Lee <ann@corp.example>\n________________________________\nFrom: Bob\nSigner: Bob Vendor <bob@attacker.example>', ['Ann|Lee|ann@corp.example']],
  ['a forwarded thread alone: the forwarded mail\'s signers, not an older one\'s in its thread', 'FYI\n\n---------- Forwarded message ---------\nFrom: Bob <bob@corp.example>\nDate: Mon, 2 Nov 2026\nSubject: NDA\n\nSigner: Ann Lee <ann@corp.example>\n\nOn Sun, 1 Nov 2026, Carl <carl@x.example> wrote:\n> Signer: Carl Old <carl@x.example>', ['Ann|Lee|ann@corp.example']],
  ['an Outlook thread forwarded alone: the top mail\'s signers', 'From: Bob <bob@corp.example>\nSent: Monday\nTo: Ann\nSubject: NDA\n\nSigner: Ann Lee <ann@corp.example>\n\nFrom: Carl <carl@x.example>\nSent: Sunday\nTo: Bob\nSubject: NDA\n\nSigner: Carl Old <carl@x.example>', ['Ann|Lee|ann@corp.example']],
  ['a forwarded request alone still works', 'FYI\n\nBegin forwarded message:\n\nSigner: Ann Lee <ann@corp.example>', ['Ann|Lee|ann@corp.example']],
  ['a Norwegian forward\'s lines lose to the writer\'s own', 'Signer: Ann Lee <ann@corp.example>\n\n---------- Videresendt melding ---------\nFra: Eve <eve@x.example>\nSigner 1: Eve Evil <eve@attacker.example>', ['Ann|Lee|ann@corp.example']],
  ['a zero-width space before a line', 'Signer 1: Ann Lee <ann.lee@corp.example>\n\u200bSigner 2: Bob Stone <bob.stone@partner.example>', ['Ann|Lee|ann.lee@corp.example', 'Bob|Stone|bob.stone@partner.example']],
  ['direction marks and a word joiner around lines', '\u200eSigner 1: Ann Lee <ann.lee@corp.example>\u200b\n\u2060Signer 2: Bob Stone <bob.stone@partner.example>\u200f', ['Ann|Lee|ann.lee@corp.example', 'Bob|Stone|bob.stone@partner.example']],
  ['a zero-width space inside an address', 'Signer: Ann Lee <ann.lee@corp.exa\u200bmple>', ['Ann|Lee|ann.lee@corp.example']],
  ['a soft hyphen in a name', 'Signer: Ann Lee-\u00adStone <ann@corp.example>', ['Ann|Lee-Stone|ann@corp.example']],
  ['a full stop ending the line', 'Signer 1: ann.lee@corp.example.\nSigner 2: Bob Stone <bob@corp.example>.', ['Ann|Lee|ann.lee@corp.example', 'Bob|Stone|bob@corp.example']],
  ['Outlook\'s single-quoted display name', 'Signer 1: \'Ann Lee\' <ann.lee@corp.example>', ['Ann|Lee|ann.lee@corp.example']],
  ['typographic quotes around the name', 'Signer 1: “Ann O’Brien” <ann@corp.example>', ['Ann|O’Brien|ann@corp.example']],
  ['German Outlook\'s autocorrected quotes „…“ around "Last, First"', 'Signer 1: „van der Berg, Pieter“ <pieter.vanderberg@corp.example>', ['Pieter|van der Berg|pieter.vanderberg@corp.example']],
  ['Polish „…”, Czech ‚…‘', 'Signer 1: „Nowak, Jan” <jan.nowak@corp.example>\nSigner 2: ‚Dvořák, Eva‘ <eva.dvorak@corp.example>', ['Jan|Nowak|jan.nowak@corp.example', 'Eva|Dvořák|eva.dvorak@corp.example']],
  ['Swedish and Finnish ”…”', 'Signer 1: ”Lindqvist, Sven” <sven.lindqvist@corp.example>', ['Sven|Lindqvist|sven.lindqvist@corp.example']],
  ['French « … » with no-break spaces inside, Danish »…«', 'Signer 1: «\u00a0Dupont, Jean\u00a0» <jean.dupont@corp.example>\nSigner 2: »Nielsen, Mette« <mette.nielsen@corp.example>', ['Jean|Dupont|jean.dupont@corp.example', 'Mette|Nielsen|mette.nielsen@corp.example']],
  ['Japanese 「…」 and 『…』', 'Signer 1: 「山田 太郎」 <taro.yamada@corp.example>\nSigner 2: 『佐藤 花子』 <hanako.sato@corp.example>', ['山田|太郎|taro.yamada@corp.example', '佐藤|花子|hanako.sato@corp.example']],
  ['an Outlook/OWA @mention in the text part: its @ is no address', 'Signer 1: @Ann Lee<mailto:ann.lee@corp.example>\nSigner 2: @Bob Stone <bob.stone@corp.example>', ['Ann|Lee|ann.lee@corp.example', 'Bob|Stone|bob.stone@corp.example']],
  ['a Japanese input method\'s full-width ＜…＞ and ＠', 'Signer 1: Ann Lee ＜ann.lee@corp.example＞\nSigner 2: 山田 太郎 ＜taro.yamada＠corp.example＞', ['Ann|Lee|ann.lee@corp.example', '山田|太郎|taro.yamada@corp.example']],
  ['a Gmail +mention: its + is no part of the name', 'Signer 1: +Ann Lee <ann.lee@corp.example>', ['Ann|Lee|ann.lee@corp.example']],
  ['the address as its own display name', 'Signer 1: "ann.lee@corp.example" <ann.lee@corp.example>\nSigner 2: \'bob.stone@corp.example\' <bob.stone@corp.example>', ['Ann|Lee|ann.lee@corp.example', 'Bob|Stone|bob.stone@corp.example']],
  ['the address in brackets after the name', 'Signer: Ann Lee (ann.lee@corp.example) <ann.lee@corp.example>', ['Ann|Lee|ann.lee@corp.example']],
  ['a mailto link as the only address', 'Signer: Ann Lee <mailto:ann.lee@corp.example>', ['Ann|Lee|ann.lee@corp.example']],
  ['two SMS gateways\' numbers: a local part that starts with + is all mailbox, not a tag', 'Signer 1: Ann Lee <+4791234567@sms.corp.example>\nSigner 2: Bob Stone <+4798765432@sms.corp.example>', ['Ann|Lee|+4791234567@sms.corp.example', 'Bob|Stone|+4798765432@sms.corp.example']],
  // names review M1: any comma was "Last, First" — the signature read "Jr. Martin Luther King".
  ['a generational suffix or a degree after a comma stays with the last name', 'Signer 1: Martin Luther King, Jr. <mlk@corp.example>\nSigner 2: "Doe, Jane" <jane.doe@corp.example>\nSigner 3: "Ann Lee, PhD" <ann.lee@corp.example>\nSigner 4: John Smith, III, MBA <john.smith@corp.example>',
    ['Martin Luther|King Jr.|mlk@corp.example', 'Jane|Doe|jane.doe@corp.example', 'Ann|Lee PhD|ann.lee@corp.example', 'John|Smith III MBA|john.smith@corp.example']],
  ['a name in another script keeps no derived last name', 'Signer: 李雷 <li.lei@corp.example>', ['李雷||li.lei@corp.example']],
  ['a reply written below the quote: the quoted signer is the earlier mail\'s', 'On 02.11.26 10:00, Carl Old wrote:\n> Please have this signed by me.\n> Signer: Carl Old <carl.old@partner.example>\n\nNo - Bob signs instead of you:\nSigner: Bob Stone <bob.stone@partner.example>', ['Bob|Stone|bob.stone@partner.example']],
  ['a reply written between quoted parts', '> Who signs?\nSigner 2: Bob Stone <bob@corp.example>\n\nOn Mon, 2 Nov 2026, Carl <carl@x.example> wrote:\n> Signer: Carl Old <carl@x.example>\n\nSigner 1: Dee Fox <dee@corp.example>', ['Dee|Fox|dee@corp.example', 'Bob|Stone|bob@corp.example']],
  ['words after the address: a comment', 'Signer 1: Ann Lee <ann@corp.example> (CFO)\nSigner 2: Bob Stone <bob@corp.example> - Partner', ['Ann|Lee|ann@corp.example', 'Bob|Stone|bob@corp.example']],
  ['a long line wrapped by Gmail\'s text part before the address', 'Signer 1: Bartholomew Featherstonehaugh-Smythe\n<bartholomew.featherstonehaugh-smythe@partner.example>\nSigner 2: Bob Stone <bob@corp.example>', ['Bartholomew|Featherstonehaugh-Smythe|bartholomew.featherstonehaugh-smythe@partner.example', 'Bob|Stone|bob@corp.example']],
  ['a long line wrapped inside the brackets before a long address', 'Signer 1: Ann Lee <ann@corp.example>\nSigner 2: Maximilian Hohenberg-Wittelsbach <\nmaximilian.hohenberg-wittelsbach@partner.example>', ['Ann|Lee|ann@corp.example', 'Maximilian|Hohenberg-Wittelsbach|maximilian.hohenberg-wittelsbach@partner.example']],
  ['a QQ/Foxmail forward block with full-width colons', 'Signer: Ann Lee <ann@corp.example>\n\n------------------ 原始邮件 ------------------\n发件人："Carl Old"<carl@partner.example>;\n发送时间：2026年11月2日(星期一) 上午10:00\n收件人："Ann Lee"<ann@corp.example>;\n主题：合同\n\nSigner: Carl Old <carl@partner.example>', ['Ann|Lee|ann@corp.example']],
  ['a German Lotus Notes reply header', 'Signer: Ann Lee <ann@corp.example>\n\nCarl Old <carl@partner.example> schrieb am 02.11.2026 10:00:45:\n\n    Bitte unterschreiben.\n    Signer: Carl Old <carl@partner.example>', ['Ann|Lee|ann@corp.example']],
  ['old Mac line ends (a lone CR)', 'Signer 1: Ann Lee <ann@corp.example>\rSigner 2: Bob Stone <bob@corp.example>\r', ['Ann|Lee|ann@corp.example', 'Bob|Stone|bob@corp.example']],
  ['Gmail\'s text part of a forward with Outlook\'s header in bold', 'Signer 1: Ann Lee <ann@corp.example>\n\n*From:* Bob Stone <bob@partner.example>\n*Sent:* Monday, November 2, 2026 10:00 AM\n*To:* Ann Lee <ann@corp.example>\n*Subject:* Contract\n\nSigner 2: Carl Old <carl@partner.example>', ['Ann|Lee|ann@corp.example']],
  ['a Lotus Notes forward', 'Signer: Ann Lee <ann@corp.example>\n\n----- Forwarded by Ann Lee/CORP on 02.11.2026 10:00 -----\n\nBob Stone <bob@partner.example>\n02.11.2026 09:55\n\nSigner: Carl Old <carl@partner.example>', ['Ann|Lee|ann@corp.example']],
  ['a writer\'s own "From:" line is not a quote', 'Signer 1: Erin Employee <erin@corp.example>\nLeave period\nFrom: 2026-07-01\nTo: 2026-07-14\nSigner 2: Mark Manager <mark@corp.example>', ['Erin|Employee|erin@corp.example', 'Mark|Manager|mark@corp.example']],
];

describe('parseSigners: accepted forms', () => {
  it.each(accepted)('%s', (_label, body, signers) => {
    const result = parseSigners(body, NO_DEFAULTS, 20);
    expect(result.problems).toEqual([]);
    expect(result.value.from).toBe('mail');
    expect(result.value.signers.map(show)).toEqual(signers);
  });

  it('reads "addr [mailto:addr]" as a bare address', () => {
    expect(parseSigners('Signer: ann.lee@corp.example [mailto:ann.lee@corp.example]', NO_DEFAULTS, 20).value.signers.map(show)).toEqual(['Ann|Lee|ann.lee@corp.example']);
  });

  it('does not read other words that end in signer, or prose that starts with the word', () => {
    expect(parseSigners('Cosigner: Ann <ann@corp.example>\nSigners will get a mail from noreply@securedsigning.com\nSigner\'s phone: ask ann@corp.example', NO_DEFAULTS, 20))
      .toEqual({ value: { signers: [], from: 'none' }, problems: [] });
  });
});

const rejected: Array<[label: string, body: string, problem: RegExp]> = [
  ['a bad address', 'Signer: Dana White <dana.white(at)partner.example>', /^the line "Signer: Dana White <dana\.white\(at\)partner\.example>" has no valid email address: write it as Signer: First Last <first\.last@example\.com>$/],
  ['an empty line', 'Signer 1:', /^the line "Signer 1:" names nobody/],
  ['two people on one line', 'Signer: Ann <ann@corp.example>, Bob <bob@corp.example>', /names more than one person: put each signer on a line of its own/],
  ['two bare addresses on one line', 'Signer: ann@corp.example, bob@corp.example', /^the line "Signer: ann@corp\.example, bob@corp\.example" names more than one person/],
  ['a double dot in the address', 'Signer: ann..lee@corp.example', /has no valid email address/],
  ['a dot before the @', 'Signer: Ann <ann.@corp.example>', /has no valid email address/],
  ['a second person after the address', 'Signer: Ann <ann@corp.example>, Bob Stone', /names more than one person/],
  ['a mobile number in brackets after the address', 'Signer: Ann Lee <ann@corp.example> (mobile +4791234567)', /has words after the address that signrelay cannot read/],
  ['a wrapped line whose next line is not the rest of it', 'Signer: Ann Lee\nThanks!', /^the line "Signer: Ann Lee" has no valid email address/],
  ['another address as the display name, the signer\'s inside it', 'Signer: "joann@corp.example" <ann@corp.example>', /names more than one person/],
  ['a duplicate address', 'Signer: Ann Lee <ann@corp.example>\nSigner: A. Lee <ANN@corp.example>', /^ANN@corp\.example is named twice as a signer/],
  ['one Gmail inbox twice, dotted and at googlemail.com', 'Signer: Ann Lee <ann.lee@gmail.com>\nSigner: Ann <annlee@googlemail.com>', /^annlee@googlemail\.com is named twice as a signer/],
  ['one mailbox twice, once with a +tag', 'Signer: Ann Lee <ann.lee@corp.example>\nSigner: Ann <ann.lee+contracts@corp.example>', /^ann\.lee\+contracts@corp\.example is named twice as a signer/],
  ['a duplicate number', 'Signer 1: Ann Lee <ann@corp.example>\nSigner 1: Bob Stone <bob@corp.example>', /two lines say "Signer 1:"/],
];

describe('parseSigners: problems', () => {
  it.each(rejected)('%s', (_label, body, problem) => {
    const result = parseSigners(body, NO_DEFAULTS, 20);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(problem);
  });

  it('refuses more signers than the limit', () => {
    const body = ['a', 'b', 'c'].map((n) => `Signer: ${n.toUpperCase()} Person <${n}@corp.example>`).join('\n');
    expect(parseSigners(body, NO_DEFAULTS, 2).problems).toEqual(['3 signers are named but a request may have at most 2: split the signing into several requests']);
  });

  // Signers review L1: "Signer:" then "Signer 2:" had the signer labelled 2 sign first.
  it.each([
    ['"Signer:" then "Signer 2:"', 'Signer: Ann Lee <ann.lee@corp.example>\nSigner 2: Bob Stone <bob.stone@corp.example>', 'Signer: Ann Lee <ann.lee@corp.example>', 'Signer 2: Bob Stone <bob.stone@corp.example>'],
    ['"Signer 1:", "Signer:", "Signer 2:"', 'Signer 1: Ann Lee <ann@x.example>\nSigner: Bob Stone <bob@x.example>\nSigner 2: Carl Cole <carl@x.example>', 'Signer: Bob Stone <bob@x.example>', 'Signer 1: Ann Lee <ann@x.example>'],
  ])('refuses numbered and unnumbered lines together: %s', (_label, body, unnumbered, numbered) => {
    expect(parseSigners(body, NO_DEFAULTS, 20).problems).toEqual([
      `the lines "${unnumbered}" and "${numbered}" mix numbered and unnumbered signers, so the signing order is unclear: number every signer (Signer 1:, Signer 2: …, in signing order), or none (Signer: lines, signing in the order written)`,
    ]);
  });

  it('collects every problem, not only the first', () => {
    expect(parseSigners('Signer: x@\nSigner: y@\nSigner: Ann <ann@corp.example>\nSigner: Ann <ann@corp.example>', NO_DEFAULTS, 20).problems).toHaveLength(3);
  });
});

describe('parseSigners: lines meant as Signer lines in another form', () => {
  const HR = { name: 'hr', signers: ['HR Desk <hr.desk@corp.example>'] };
  it.each([
    ['a dash for the colon', 'Signer 1 - Ann Lee <ann.lee@corp.example>'],
    ['a number sign', 'Signer #1: Ann Lee <ann.lee@corp.example>'],
    ['the plural with addresses', 'Signers: ann.lee@corp.example, bob@corp.example'],
    ['the plural above a list', 'Signers:\nAnn Lee <ann.lee@corp.example>\nBob Stone <bob@corp.example>'],
    ['another word for signer', 'Signatory 1: Ann Lee <ann.lee@corp.example>'],
    ['another language', 'Unterzeichner 1: Ann Lee <ann.lee@corp.example>'],
    ['French spacing before the colon', 'Signataire : Ann Lee <ann.lee@corp.example>'],
    ['the number in brackets', 'Signer (1): Ann Lee <ann.lee@corp.example>'],
    ['an ordinal first', '1st signer: Ann Lee <ann.lee@corp.example>'],
    ['a field name', 'Signer email: ann.lee@corp.example'],
    ['a dotted capital I (Turkish keyboards)', 'S\u0130GNER 1: Ann Lee <ann.lee@corp.example>'],
    ['a small colon', 'Signer\ufe55 Ann Lee <ann.lee@corp.example>'],
  ])('%s: refused with the form to use, never replaced by the route\'s default signers', (_label, body) => {
    const result = parseSigners(body, HR, 20);
    expect(result.value.signers).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^the line ".*" is not a form signrelay reads: write each signer on a line of its own as Signer 1: First Last <first\.last@example\.com>, Signer 2: …$/);
  });

  it('also beside lines it reads, which would otherwise sign without the one it missed', () => {
    const result = parseSigners('Signer 1: Ann Lee <ann@corp.example>\nSigner 2 - Bob Stone <bob@corp.example>', HR, 20);
    expect(result.problems).toEqual(['the line "Signer 2 - Bob Stone <bob@corp.example>" is not a form signrelay reads: write each signer on a line of its own as Signer 1: First Last <first.last@example.com>, Signer 2: …']);
  });

  it('not for labels where "sign" is inside a word, or prose', () => {
    for (const body of ['Assigned to: Bob Stone <bob@corp.example>', 'Design: Ann Lee <ann@corp.example>', 'Signature: see attached, questions to help@corp.example']) {
      expect(parseSigners(body, HR, 20)).toMatchObject({ value: { from: 'route' }, problems: [] });
    }
  });

  it('not in quoted or forwarded text, which is someone else\'s', () => {
    expect(parseSigners('Signer: Ann <ann@corp.example>\n> Signer 1 - Carl <carl@x.example>', HR, 20).problems).toEqual([]);
    expect(parseSigners('Signer: Ann <ann@corp.example>\n---------- Forwarded message ---------\nSigner #1: Carl <carl@x.example>', HR, 20).problems).toEqual([]);
  });
});

describe('parseSigners: fall-backs', () => {
  it('takes the route signers when the mail names none', () => {
    const result = parseSigners('Please sign', { name: 'hr', signers: ['HR Desk <hr.desk@corp.example>', 'payroll@corp.example'] }, 20);
    expect(result.value.from).toBe('route');
    expect(result.value.signers.map(show)).toEqual(['HR|Desk|hr.desk@corp.example', 'Payroll||payroll@corp.example']);
  });

  it('prefers the mail over the route', () => {
    expect(parseSigners('Signer: Ann Lee <ann@corp.example>', { name: 'hr', signers: ['HR Desk <hr@corp.example>'] }, 20).value.from).toBe('mail');
  });

  it('reports a broken route signer as the operator\'s to fix', () => {
    const result = parseSigners('', { name: 'hr', signers: ['HR Desk <hr.desk at corp>'] }, 20);
    expect(result.problems[0]).toMatch(/^default signer "HR Desk <hr\.desk at corp>" of route "hr" has no valid email address.*operator must fix this; meanwhile name the signers with Signer: lines/);
  });

  it('returns none when neither names a signer', () => {
    expect(parseSigners('Please sign', NO_DEFAULTS, 20)).toEqual({ value: { signers: [], from: 'none' }, problems: [] });
  });
});

describe('nameFromAddress', () => {
  it.each([
    ['ann.lee@corp.example', 'Ann', 'Lee'],
    ['mary_jane.watson-parker@corp.example', 'Mary Jane Watson', 'Parker'],
    ['ann.lee+contracts@corp.example', 'Ann', 'Lee'],
    ['jdoe@corp.example', 'Jdoe', ''],
    ['ann.mcleod2@corp.example', 'Ann', 'Mcleod2'],
    ['12345@corp.example', '12345', ''],
  ])('%s → %s %s', (email, first, last) => {
    expect(nameFromAddress(email)).toEqual({ firstName: first, lastName: last });
  });
});

describe('a signer\'s mobile number', () => {
  it.each([
    ['Signer: Ann Lee <ann.lee@example.com> +4791234567', '+4791234567'],
    ['Signer: Ann Lee <ann.lee@example.com> +47 912 34 567', '+4791234567'],
    ['Signer: Ann Lee <ann.lee@example.com> +44 (20) 7946-0958', '+442079460958'],
  ])('%j keeps %s', (line, mobile) => {
    const result = parseSigners(line, { name: 'default', signers: [] }, 20);
    expect(result.problems).toEqual([]);
    expect(result.value.signers).toEqual([{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com', mobile }]);
  });

  it.each([
    'Signer: Ann Lee <ann.lee@example.com> 0791234567',
    'Signer: Ann Lee <ann.lee@example.com> 0047 91234567',
    'Signer: Ann Lee <ann.lee@example.com> +0 1234567',
  ])('%j is refused with the +CC form named', (line) => {
    const result = parseSigners(line, { name: 'default', signers: [] }, 20);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/has a mobile number signrelay cannot use: it is not a mobile number in \+CC form: write the country code first, e\.g\. \+4791234567$/);
  });
});
