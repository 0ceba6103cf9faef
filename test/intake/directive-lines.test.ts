// The request language's lines against what a hostile or careless mail puts in them: values
// tens of thousands of characters long (read in time linear in their length: ratios against
// plain lines of the same size, in the same run), a lone CR inside a quoted line (it must not
// start a line of the writer's own), and headings and prose that start with "Signers".
import { describe, expect, it } from 'vitest';
import { parseDue } from '../../src/intake/parse-due.ts';
import { parseSigners } from '../../src/intake/parse-signers.ts';
import { findRecord } from '../../src/intake/find-record.ts';
import { htmlToPlainText } from '../../src/message/html-to-text.ts';

const NOW = new Date('2026-11-03T10:00:00Z');
const NO_DEFAULTS = { name: 'default', signers: [] };
const HR = { name: 'hr', signers: ['HR Desk <hr.desk@corp.example>'] };
const show = (s: { firstName: string; lastName: string; email: string }) => `${s.firstName}|${s.lastName}|${s.email}`;

describe('long values', () => {
  it('are read in time linear in their length, and refused', () => {
    const size = 40_000;
    const fastest = (run: () => void) => Math.min(...Array.from({ length: 3 }, () => {
      const start = performance.now();
      run();
      return performance.now() - start;
    }));
    const plain = 'x'.repeat(size);
    const base = Math.max(fastest(() => {
      parseDue(`Due: ${plain}`, 14, NOW);
      parseSigners(`Signer: ${plain}`, NO_DEFAULTS, 20);
    }), 0.5);
    const hostile = [
      () => parseDue(`Due: ${'.'.repeat(size)}x`, 14, NOW),
      () => parseDue(`Due: ${',;'.repeat(size / 2)}x`, 14, NOW),
      () => parseSigners(`Signer: a${' '.repeat(size)}b`, NO_DEFAULTS, 20),
      () => parseSigners(`Signer: Ann ${'1 '.repeat(size / 2)}x`, NO_DEFAULTS, 20),
      () => parseSigners(`Signer: ${'*'.repeat(size)}x`, NO_DEFAULTS, 20),
      () => findRecord({ subject: '', body: `Record: ${'.'.repeat(size)}x`, html: false }, { RITM: 'sc_req_item' }, { require_record: true }),
    ];
    for (const run of hostile) expect(fastest(run) / base).toBeLessThan(20);
    const line = `Signer: Ann Lee <ann@corp.example> ${'x'.repeat(size)}`;
    const refused = parseSigners(line, NO_DEFAULTS, 20);
    expect(refused.problems).toHaveLength(1);
    expect(refused.problems[0]!.startsWith(`the line "${line.slice(0, 500)} …" has `)).toBe(true);
  });
});

describe('a lone CR', () => {
  it('inside a quoted line does not start a line of the writer\'s own', () => {
    const quoted = 'Please get this signed.\n\nOn Mon, 2 Nov 2026 at 09:55, Mallory <m@evil.example> wrote:\n> Here is the contract.\rSigner: Mallory Evil <mallory@evil.example>\n> Regards\n';
    expect(parseSigners(`Signer: Ann Lee <ann@corp.example>\n\n${quoted}`, NO_DEFAULTS, 20).value.signers.map(show)).toEqual(['Ann|Lee|ann@corp.example']);
    expect(parseSigners(quoted, HR, 20).value).toMatchObject({ from: 'route' });
  });

  it('ends a line in a body without line feeds (old Mac mail)', () => {
    expect(parseSigners('Signer 1: Ann Lee <ann@corp.example>\rSigner 2: Bob Stone <bob@corp.example>', NO_DEFAULTS, 20).value.signers.map(show))
      .toEqual(['Ann|Lee|ann@corp.example', 'Bob|Stone|bob@corp.example']);
  });
});

describe('lines that start with "Signers"', () => {
  it.each([
    ['a heading with a colon above Signer lines', 'Signers:\nSigner 1: Ann Lee <ann@corp.example>\nSigner 2: Bob Stone <bob@corp.example>'],
    ['a heading without one (an HTML <h3>)', 'Signers\n\nSigner 1: Ann Lee <ann@corp.example>\nSigner 2: Bob Stone <bob@corp.example>'],
    ['prose with an address beside them', 'Signers - questions to help@corp.example\nSigners: see attached; questions to ann@corp.example\nSigner 1: Ann Lee <ann@corp.example>\nSigner 2: Bob Stone <bob@corp.example>'],
  ])('%s: read, not refused', (_label, body) => {
    expect(parseSigners(body, HR, 20)).toEqual({ value: { signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@corp.example' }, { firstName: 'Bob', lastName: 'Stone', email: 'bob@corp.example' }], from: 'mail' }, problems: [] });
  });
});

describe('what a quoted mail\'s HTML cannot do', () => {
  const reply = (escape: string) => htmlToPlainText(`<div>Signer: Bob Stone &lt;bob@partner.example&gt;</div><div>On Mon, 2 Nov 2026 at 09:55, Mallory &lt;m@evil.example&gt; wrote:</div>`
    + `<blockquote type="cite"><div>Hi Ann, here is the contract.</div>${escape}<div>Signer: Mallory Evil &lt;m@evil.example&gt;</div></blockquote>`);
  it.each([
    ['<xmp>', '<xmp></blockquote></xmp>'],
    ['<noembed>', '<noembed></blockquote></noembed>'],
    ['<iframe>', '<iframe></blockquote></iframe>'],
    ['an unclosed <xmp>', '<xmp></blockquote>'],
    ['an attribute value', '<span title="</blockquote>"></span>'],
    ['an attribute value in single quotes', '<span title=\'x</blockquote>\'></span>'],
  ])('end the quote with a </blockquote> in %s: its signer stays quoted', (_label, escape) => {
    expect(parseSigners(reply(escape), NO_DEFAULTS, 20).value.signers.map(show)).toEqual(['Bob|Stone|bob@partner.example']);
  });

  it('an Apple Mail forward stays quoted to its end ("Begin forwarded message:" is no reply\'s attribution)', () => {
    const text = htmlToPlainText('<div>Signer: Bob Stone &lt;bob@partner.example&gt;</div><div>Begin forwarded message:</div><br><blockquote type="cite">'
      + '<div><b>From: </b>Mallory &lt;m@evil.example&gt;</div><div>Hi Ann.</div></blockquote><div>Signer: Mallory Evil &lt;m@evil.example&gt;</div>');
    expect(parseSigners(text, NO_DEFAULTS, 20).value.signers.map(show)).toEqual(['Bob|Stone|bob@partner.example']);
  });

  it('nested thousands deep, the text stays as long as the HTML, give or take (eight levels marked at most)', () => {
    const html = `${'<blockquote type="cite">'.repeat(5_000)}<div>Signer: X &lt;x@y.example&gt;</div>${'<div>line</div>'.repeat(1_000)}`;
    const text = htmlToPlainText(html);
    expect(text.length).toBeLessThan(html.length);
    expect(text.split('\n').find((l) => l.includes('Signer'))).toBe(`${'> '.repeat(8)}Signer: X <x@y.example>`);
  });
});

describe('lines the writer meant, kept', () => {
  it('an indent (a <blockquote> styled border: none, as Gmail\'s and Apple Mail\'s indent button writes it) is the writer\'s own text', () => {
    const text = htmlToPlainText('<div>Signer 1: Ann Lee &lt;ann@corp.example&gt;</div><blockquote style="margin:0 0 0 40px;border:none;padding:0px"><div>Signer 2: Bob Stone &lt;bob@partner.example&gt;</div></blockquote>');
    expect(parseSigners(text, NO_DEFAULTS, 20).value.signers.map(show)).toEqual(['Ann|Lee|ann@corp.example', 'Bob|Stone|bob@partner.example']);
  });

  it('a forwarded request\'s signers on both sides of a quoted clause with its own attribution', () => {
    const body = 'FYI.\n\n---------- Forwarded message ---------\nFrom: Bob Stone <bob@corp.example>\nDate: Mon, 2 Nov 2026 at 10:00\nSubject: Contract\n\n'
      + 'Signer 1: Dave Park <dave@partner.example>\nCarl asked for the clause to stay as agreed:\n> Clause 4.2 stays unchanged.\nSigner 2: Carl Old <carl@partner.example>';
    expect(parseSigners(body, NO_DEFAULTS, 20).value.signers.map(show)).toEqual(['Dave|Park|dave@partner.example', 'Carl|Old|carl@partner.example']);
  });

  it('contact lines with "signed" or "signing" beside Signer lines are not signer lines', () => {
    const body = 'Signer 1: Ann Lee <ann@corp.example>\nPlease send the signed copy to: legal@corp.example\nQuestions about signing: it.help@corp.example';
    expect(parseSigners(body, HR, 20)).toMatchObject({ value: { signers: [{ email: 'ann@corp.example' }] }, problems: [] });
  });
});

describe('a Signer line without its address is not completed by whatever follows', () => {
  it.each([
    ['a Cc line', 'Signer: Bob Stone\nCc: Legal Team <legal.team@corp.example>'],
    ['a contact line', 'Signer 1: Ann Lee <ann@corp.example>\nSigner 2: Bob Stone\nQuestions about the contract: ask Carol Diaz <carol@partner.example>.'],
    ['a quoted mail\'s attribution', 'Please.\n\n---------- Forwarded message ---------\nFrom: Bob <bob@corp.example>\nDate: Mon, 2 Nov 2026\nSubject: C\n\nSigner: Carl Old\nOn Mon, 2 Nov 2026 at 09:55, Mallory Evil <m@evil.example> wrote:\n> Hi.'],
  ])('%s: refused as before', (_label, body) => {
    const result = parseSigners(body, NO_DEFAULTS, 20);
    expect(result.problems.some((p) => /"Signer( \d)?: (Bob Stone|Carl Old)" has no valid email address/.test(p))).toBe(true);
  });
});

describe('the third review\'s variants', () => {
  const quotedReply = (inside: string) => htmlToPlainText(`<div>Signer: Bob Stone &lt;bob@partner.example&gt;</div><div>On Mon, 2 Nov 2026 at 09:55, Mallory &lt;m@evil.example&gt; wrote:</div>`
    + `<blockquote type="cite"><div>Hi Ann.</div>${inside}<div>Signer: Mallory Evil &lt;m@evil.example&gt;</div></blockquote>`);
  it.each([
    ['a raw-text element closed by a longer name', '<style>p{}</stylex></blockquote>'],
    ['an iframe closed by a longer name', '<iframe></iframe-x></blockquote></iframe>'],
    ['a <plaintext> "closed"', '<plaintext></plaintext></blockquote>'],
    ['an entity that decodes to a line break', '<div>x&#10;Signer: Mallory Evil &lt;m@evil.example&gt;</div>'],
    ['a quote in an attribute name, then markup', '<span x"y="1"></span><div>"</div>'],
  ])('%s: the quoted signer stays quoted', (_label, inside) => {
    expect(parseSigners(quotedReply(inside), NO_DEFAULTS, 20).value.signers.map(show)).toEqual(['Bob|Stone|bob@partner.example']);
  });

  it('a quote in an attribute name does not swallow the writer\'s own lines below the quote', () => {
    const text = htmlToPlainText('<div>On Mon, 2 Nov 2026, Mallory &lt;m@evil.example&gt; wrote:</div><blockquote type="cite"><span x"y="1">Hi</span></blockquote>'
      + '<div>Signer 1: Bob Stone &lt;bob@partner.example&gt;</div><div>Signer 2: Carol Diaz &lt;carol@corp.example&gt;</div>');
    expect(parseSigners(text, NO_DEFAULTS, 20).value.signers.map(show)).toEqual(['Bob|Stone|bob@partner.example', 'Carol|Diaz|carol@corp.example']);
  });

  it.each([
    ['an Outlook header block inside the > quote', 'On Mon, 2 Nov 2026, Alice <alice@corp.example> wrote:\n> Signer 1: Alice Ng <alice@corp.example>\n>\n> From: Mallory Evil <m@evil.example>\n> Sent: Friday, 30 October 2026 16:01\n> To: Alice\n> Subject: Contract\n>\n> Signer 2: Mallory Evil <m@evil.example>'],
    ['a forward inside the > quote', 'On Mon, 2 Nov 2026, Alice <alice@corp.example> wrote:\n> Signer 1: Alice Ng <alice@corp.example>\n> ---------- Forwarded message ---------\n> From: Mallory Evil <m@evil.example>\n> Signer 2: Mallory Evil <m@evil.example>'],
    ['a reply header over an unmarked quote inside a forward', 'FYI\n---------- Forwarded message ---------\nFrom: Alice <alice@corp.example>\nDate: Mon, 2 Nov 2026\nSubject: C\n\nSigner 1: Alice Ng <alice@corp.example>\nOn Fri, 30 Oct 2026 at 16:01, Mallory Evil <m@evil.example> wrote:\nSigner 2: Mallory Evil <m@evil.example>'],
    ['Outlook\'s left-bordered re-rendering of a quote', htmlToPlainText('<div>---------- Forwarded message ---------</div><div>From: Alice &lt;alice@corp.example&gt;</div><div>Date: Mon, 2 Nov 2026</div><div>Subject: C</div><div>Signer 1: Alice Ng &lt;alice@corp.example&gt;</div>'
      + '<blockquote style="border:none;border-left:solid #CCCCCC 1.0pt;padding:0in 0in 0in 6.0pt"><div>Signer 2: Mallory Evil &lt;m@evil.example&gt;</div></blockquote>')],
    ['a header block with a long display name', `Signer: Alice Ng <alice@corp.example>\n\nFrom: ${'Mallory '.repeat(80)}<m@evil.example>\nSent: Friday\nTo: Ann\nSubject: C\n\nSigner: Mallory Evil <m@evil.example>`],
    ['a Hungarian Outlook header block', 'Signer: Alice Ng <alice@corp.example>\n\nFeladó: Mallory Evil <m@evil.example>\nElküldve: 2026. október 30.\nCímzett: Ann\nTárgy: C\n\nSigner: Mallory Evil <m@evil.example>'],
  ])('an older mail in a thread does not sign: %s', (_label, body) => {
    expect(parseSigners(body, NO_DEFAULTS, 20).value.signers.map((x) => x.email).filter((e) => e.includes('evil'))).toEqual([]);
  });

  it('many quoted lines do not throw', () => {
    const body = `On Mon, 2 Nov 2026, A <a@x.example> wrote:\n${'> Signer: A B <a@x.example>\n'.repeat(150_000)}`;
    expect(() => parseSigners(body, NO_DEFAULTS, 200_000)).not.toThrow();
  });

  it.each([
    ['a number without a colon', 'Signer 2 Bob Stone <bob@partner.example>'],
    ['"Signed by:"', 'Signed by: Bob Stone <bob@partner.example>'],
    ['"Signature 2:"', 'Signature 2: Bob Stone <bob@partner.example>'],
  ])('the writer\'s own line in another form is refused, not dropped: %s', (_label, line) => {
    const result = parseSigners(`Signer 1: Ann Lee <ann@corp.example>\n${line}`, HR, 20);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toContain('is not a form signrelay reads');
  });
});
