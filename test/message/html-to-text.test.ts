// HTML bodies → the text the request language is read from.
import { describe, expect, it } from 'vitest';
import { parseSigners } from '../../src/intake/parse-signers.ts';
import { simpleParser } from 'mailparser';
import { readRequestMail } from '../../src/message/read-request-mail.ts';
import { htmlToPlainText, requestBodyText } from '../../src/message/html-to-text.ts';
import { buildRaw } from '../intake/intake-helpers.ts';

describe('htmlToPlainText', () => {
  it.each([
    ['paragraphs become lines', '<p>Hello</p><p>Signer: Ann</p>', 'Hello\n\nSigner: Ann'],
    ['br and div', 'a<br>b<div>c</div>d', 'a\nb\nc\nd'],
    ['entities', '<p>Signer: Ann Lee &lt;ann@x.example&gt; &amp; co&#46;&nbsp;&#x263A;</p>', 'Signer: Ann Lee <ann@x.example> & co. ☺'],
    ['links keep their text', 'Signer: Ann &lt;<a href="mailto:ann@x.example">ann@x.example</a>&gt;', 'Signer: Ann <ann@x.example>'],
    ['an Outlook @mention keeps its address after its text', 'Signer 1: <a href="mailto:ann.lee@x.example" id="OWAAM7A2B">@Ann Lee</a>', 'Signer 1: @Ann Lee <ann.lee@x.example>'],
    ['so does a name linked to a contact (its address escaped in the link)', 'Signer: <a href="mailto:ann%2Elee&#64;x.example?subject=hi"><span>Ann</span> Lee</a>', 'Signer: Ann Lee <ann.lee@x.example>'],
    ['a link whose text shows its address gets it once', 'Signer: <a href="mailto:ann@x.example">Ann Lee ann@x.example</a>', 'Signer: Ann Lee ann@x.example'],
    ['a mailto that is no address, or a web link, adds nothing', '<a href="mailto:nobody">Ann</a> <a href="https://x.example/ann@x.example">Bob</a>', 'Ann Bob'],
    ['style, head, comments and Office conditionals go', '<head><title>t</title><style>p.MsoNormal{margin:0}</style></head><!--[if gte mso 9]><xml>x</xml><![endif]--><p class="MsoNormal">Due: 14d<o:p></o:p></p>', 'Due: 14d'],
    ['source line breaks are spaces', '<p>Signer: Ann\n  Lee &lt;ann@x.example&gt;</p>', 'Signer: Ann Lee <ann@x.example>'],
    ['unknown entities stay', 'a &bogus; b', 'a &bogus; b'],
  ])('%s', (_label, html, text) => {
    expect(htmlToPlainText(html)).toBe(text);
  });
});

describe('requestBodyText', () => {
  const longLine = 'Signer: Ηλέκτρα Παπαδοπούλου-Κωνσταντινίδου <ilektra.papadopoulou-konstantinidou@corp.example>';

  it('prefers the text part', () => {
    expect(requestBodyText({ text: 'from text', html: '<p>from html</p>', headers: new Map() })).toBe('from text');
  });

  it('converts HTML when there is no text part', () => {
    expect(requestBodyText({ text: undefined, html: '<p>from html</p>', headers: new Map() })).toBe('from html');
  });

  it('does not use mailparser\'s wrapped text for an HTML-only mail', async () => {
    const raw = await buildRaw({ html: `<p>Hello</p><p>${longLine.replace('<', '&lt;').replace('>', '&gt;')}</p>` });
    const mail = await simpleParser(raw); // default options: mailparser converts and wraps
    expect(mail.text).not.toContain(longLine);
    expect(requestBodyText(mail).split('\n')).toContain(longLine);
  });
});

/** A mail of the given MIME body (a Content-Type line, a blank line, the body), read as intake reads one. */
const mimeMail = (entity: string) => readRequestMail(`From: a@corp.example\r\nTo: sign@corp.example\r\nSubject: t\r\nMIME-Version: 1.0\r\n${entity}`);
const leaf = (type: string, body: string) => `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}\r\n`;
const multipart = (type: string, parts: string[]) => `Content-Type: multipart/${type}; boundary="b-${type}"\r\n\r\n${parts.map((p) => `--b-${type}\r\n${p}`).join('')}--b-${type}--\r\n`;

describe('requestBodyText: an HTML leaf without a text/plain alternative', () => {
  const html = leaf('text/html', '<p>Please sign.</p><p>Signer 1: Bob Stone &lt;bob.stone@corp.example&gt;</p>');
  const footer = leaf('text/plain', 'This e-mail has been scanned by MailGuard.');

  it('is read, in MIME order with the plain leaves: an HTML body beside a footer part a gateway appended', async () => {
    const text = requestBodyText(await mimeMail(multipart('mixed', [html, footer])));
    expect(text.split('\n').filter(Boolean)).toEqual(['Please sign.', 'Signer 1: Bob Stone <bob.stone@corp.example>', 'This e-mail has been scanned by MailGuard.']);
  });

  it('is read after a plain leaf that comes first (an HTML-only mail with an inline .txt ahead of it)', async () => {
    const text = requestBodyText(await mimeMail(multipart('mixed', [leaf('text/plain', 'notes first'), html])));
    expect(text.split('\n').filter(Boolean)).toEqual(['notes first', 'Please sign.', 'Signer 1: Bob Stone <bob.stone@corp.example>']);
  });

  it('is not read twice where it is an alternative of a text part: the text part is read, once', async () => {
    const alternative = multipart('alternative', [leaf('text/plain', 'Signer 1: Ann Lee <ann@corp.example>'), leaf('text/html', '<p>Signer 1: Ann Lee &lt;ann@corp.example&gt;</p>')]);
    expect(requestBodyText(await mimeMail(multipart('mixed', [alternative, footer])))).toBe('Signer 1: Ann Lee <ann@corp.example>\nThis e-mail has been scanned by MailGuard.');
    expect(requestBodyText(await mimeMail(alternative))).toBe('Signer 1: Ann Lee <ann@corp.example>');
  });
});

describe('htmlToPlainText: quotes, preformatted text and tables', () => {
  it('quotes a <blockquote>\'s lines with > per level, as a text part does, so its Signer lines are the quoted mail\'s', () => {
    const html = '<div>Bob signs instead:</div><div>Signer: Bob Stone &lt;bob@corp.example&gt;</div><div>On Mon, Carl &lt;carl@x.example&gt; wrote:</div>'
      + '<blockquote type="cite"><div>Signer: Carl Old &lt;carl@x.example&gt;</div><blockquote class="gmail_quote">older</blockquote></blockquote><p>Thanks</p>';
    expect(htmlToPlainText(html).split('\n').filter(Boolean)).toEqual([
      'Bob signs instead:', 'Signer: Bob Stone <bob@corp.example>', 'On Mon, Carl <carl@x.example> wrote:', '> Signer: Carl Old <carl@x.example>', '> > older', 'Thanks',
    ]);
    // Written below the quote (Apple Mail, Thunderbird): the writer's line is theirs, the quote's is not.
    const below = '<div>On Mon, Carl &lt;carl@x.example&gt; wrote:</div><blockquote type="cite"><div>Signer: Carl Old &lt;carl@x.example&gt;</div></blockquote><div>Signer: Bob Stone &lt;bob@corp.example&gt;</div>';
    expect(parseSigners(htmlToPlainText(below), { name: 'default', signers: [] }, 20).value.signers.map((x) => x.email)).toEqual(['bob@corp.example']);
  });

  it('keeps a <pre>\'s lines, and puts table cells apart', () => {
    expect(htmlToPlainText('<pre class="moz-quote-pre">Signer 1: A &lt;a@x.example&gt;\nSigner 2: B &lt;b@x.example&gt;</pre>')).toBe('Signer 1: A <a@x.example>\nSigner 2: B <b@x.example>');
    expect(htmlToPlainText('<table><tr><td>Signer 1:</td><td>Ann</td><td>Lee</td></tr></table>')).toBe('Signer 1: Ann Lee');
  });

  it('marks a quote as clients do (type=cite, a quote class, a left border); any other <blockquote> is an indent, the writer\'s own', () => {
    expect(htmlToPlainText('<blockquote style="border:none;border-left:solid #CCCCCC 1.0pt;padding:0in 0in 0in 6.0pt">x</blockquote>')).toBe('> x');
    expect(htmlToPlainText('<blockquote class="gmail_quote">x</blockquote>')).toBe('> x');
    expect(htmlToPlainText('<blockquote>x</blockquote>')).toBe('x');
    // Unmarked, but right under a reply's attribution; or with a cite address; or a border in longhand.
    expect(htmlToPlainText('<div>On Fri, 30 Oct 2026, Mallory &lt;m@evil.example&gt; wrote:</div><blockquote>x</blockquote>').split('\n').at(-1)).toBe('> x');
    expect(htmlToPlainText('<div>30.10.2026, 16:01, "Mallory" &lt;m@evil.example&gt;:</div><blockquote>x</blockquote>').split('\n').at(-1)).toBe('> x');
    expect(htmlToPlainText('<blockquote cite="mid:abc@x">x</blockquote>')).toBe('> x');
    expect(htmlToPlainText('<blockquote style="border-left-width:1px;border-left-style:solid">x</blockquote>')).toBe('> x');
    expect(htmlToPlainText('<blockquote style="margin:0 0 0 40px;border:none;padding:0px">x</blockquote>')).toBe('x');
  });

  it('a control character in the HTML cannot open or close a quote', () => {
    expect(htmlToPlainText('<p>\u0001</p><p>Signer: Ann &lt;a@x.example&gt;</p><p>\u0002</p>')).toBe('Signer: Ann <a@x.example>');
  });
});

describe('htmlToPlainText on hostile or broken HTML', () => {
  it('a style element that is not closed hides the rest, as a browser shows it; an unclosed comment only itself', () => {
    expect(htmlToPlainText('<p>Please sign.</p><style>p{}<p>Signer: Ann</p>')).toBe('Please sign.');
    expect(htmlToPlainText('<p>Please sign.</p><!-- x <p>Signer: Ann</p>')).toContain('Signer: Ann');
  });

  it('stays fast on a body of unclosed tags and comments', () => {
    const started = performance.now();
    htmlToPlainText('<a'.repeat(200_000) + '<!--'.repeat(50_000) + '<style'.repeat(50_000) + '<pre>'.repeat(50_000) + '<blockquote>'.repeat(50_000));
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('entities', () => {
  it.each([
    ['<p>Signer: J&uuml;rgen M&uuml;ller &lt;j@x.de&gt;</p>', 'Signer: Jürgen Müller <j@x.de>'],
    ['<p>Signer: Zo&euml; &Aring;ngstr&ouml;m &lt;zoe@x.de&gt;</p>', 'Signer: Zoë Ångström <zoe@x.de>'],
    ['<p>Signer: &#74;&#x00FC;rgen &#x4E2D;&#25991; &lt;j@x.de&gt;</p>', 'Signer: Jürgen 中文 <j@x.de>'],
    ['<p>Due:&nbsp;14d &mdash; thanks &amp; regards</p>', 'Due: 14d — thanks & regards'],
    ['<p>&amp;lt;not a tag&amp;gt; &unknownentity;</p>', '&lt;not a tag&gt; &unknownentity;'],
  ])('%j → %j', (html, text) => {
    expect(htmlToPlainText(html)).toBe(text);
  });

  it('a decoded `<` cannot open a tag: entities decode after the tags are gone', () => {
    expect(htmlToPlainText('<p>&lt;p&gt;Signer: Ann &lt;ann@x.de&gt;</p>')).toBe('<p>Signer: Ann <ann@x.de>');
  });
});
