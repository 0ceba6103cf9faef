// HTML body → plain text, for mails without a text part. mailparser's own conversion is not
// used: it wraps lines at 80 characters (splitting a long `Signer:` line in two) and skips
// HTML that is not the root part (an HTML-only mail with an attachment gets no text at all).
// Only what the request language needs: block elements become line breaks, a <pre>'s lines
// stay lines, table cells are apart, a <blockquote>'s lines are quoted with `>` as a text
// part quotes them (one per level: Apple Mail, Thunderbird and Gmail quote a reply in one,
// and its Signer lines must not join the writer's), and every HTML entity decodes the way a
// browser decodes it (the `entities` package, which htmlparser2 — under mailparser's own
// html-to-text — decodes with: `J&uuml;rgen` is Jürgen).
import { decodeHTML } from 'entities';
import { contentTypeOf } from './mail-headers.ts';
import { isAttributionLine } from './quote-headers.ts';
import { isEmailAddress } from '../signer.ts';
import type { ParsedMail } from 'mailparser';

const BLOCK_TAGS = 'p|div|br|li|ul|ol|tr|table|h[1-6]|blockquote|pre|hr|section|article|header|footer|dt|dd';

// Tag patterns stop at the next `<`, and skipped sections are cut with indexOf: a hostile
// body full of unclosed `<` or `<!--` must not make the regular expressions quadratic.
export function htmlToPlainText(html: string): string {
  const lines = keepPreLines(dropSections(maskAttributeValues(html.replace(/[\u0001-\u0003]/g, ''))))
    .replace(MAILTO_LINK, withLinkAddress)
    .replace(/\s+/g, ' ')
    .replace(/<blockquote\b[^<>]*>/gi, (tag) => `\n${isIndent(tag) ? INDENT_OPENS : QUOTE_OPENS}\n`)
    .replace(/<\/blockquote\b[^<>]*>/gi, `\n${QUOTE_CLOSES}\n`)
    .replace(new RegExp(`<\\/?(?:${BLOCK_TAGS})\\b[^<>]*>`, 'gi'), '\n')
    .replace(/<\/t[dh]\b[^<>]*>/gi, ' ')
    .replace(/<[^<>]*>/g, '')
    .split('\n');
  // Each open blockquote, innermost last: whether it quotes (an indent is no quote).
  const open: boolean[] = [];
  let depth = 0;
  let lastText = '';
  const out: string[] = [];
  for (const raw of lines) {
    if (raw === QUOTE_OPENS || raw === INDENT_OPENS) {
      // A <blockquote> no client marked, right under a reply's attribution, is that reply's quote.
      const quotes = raw === QUOTE_OPENS || isAttributionLine(lastText);
      open.push(quotes);
      if (quotes) depth++;
    } else if (raw === QUOTE_CLOSES) {
      if (open.pop()) depth--;
    } else {
      // An entity decodes to no line break (`&#10;`): the line and its quote marks are set.
      const line = decodeHTML(raw).replace(/[\r\n\v\f\u0085\u2028\u2029]/g, ' ').replace(/[ \t\u00a0]+/g, ' ').trim();
      out.push(depth > 0 && line !== '' ? `${'> '.repeat(Math.min(depth, MAX_QUOTE_LEVELS))}${line}` : line);
      if (line !== '') lastText = line;
    }
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/**
 * A mailto link, its address (up to a `?subject=`) and its text. The text is bounded, so a
 * body of unclosed links is not searched to its end from each of them.
 */
const MAILTO_LINK = /<a\b[^<>]*?\bhref\s*=\s*["']?mailto:([^"'\s<>?]{1,254})[^<>]*>((?:[^<]|<(?!\/a\b)){0,300}?)<\/a\s*>/gi;

/**
 * A mailto link whose text does not show its address — Outlook's @mention (`<a
 * href="mailto:ann@x">@Ann Lee</a>`), a name linked to a contact — keeps the address after
 * its text, `@Ann Lee <ann@x>`, as the client's own text part writes it: the address is what
 * the line names, and removing the tags lost it. A link that shows its address is left as it is.
 */
function withLinkAddress(link: string, href: string, text: string): string {
  let address = decodeHTML(href);
  try {
    address = decodeURIComponent(address);
  } catch {
    // A stray `%` is the address's own.
  }
  const shown = decodeHTML(text.replace(/<[^<>]*>/g, '')).toLowerCase();
  if (!isEmailAddress(address) || shown.includes(address.toLowerCase())) return link;
  return `${link} &lt;${address.replace(/&/g, '&amp;')}&gt;`;
}

/**
 * Where a <blockquote> opens and closes, on lines of their own while the text is made
 * (control characters the input is cleared of). A quote is marked as mail clients mark
 * theirs: `type="cite"` or a `cite` address (Apple Mail, Thunderbird), a quote class
 * (Gmail's `gmail_quote`), a left border (Outlook re-rendering one), or it stands right
 * under a reply's attribution. Any other <blockquote> — the indent button of Gmail, Apple
 * Mail, Thunderbird — is the writer's own text, and its Signer lines count.
 */
const QUOTE_OPENS = '\u0001';
const QUOTE_CLOSES = '\u0002';
const INDENT_OPENS = '\u0003';
/** Quote levels marked: a thread nested hundreds deep must not make every line hundreds of `>` long (quadratic text). */
const MAX_QUOTE_LEVELS = 8;

function isIndent(tag: string): boolean {
  return !/\btype\s*=\s*["']?cite\b/i.test(tag) && !/\bcite\s*=/i.test(tag) && !/\bclass\s*=\s*["'][^"']*quote/i.test(tag)
    && !/\bborder-left(?:-(?:style|width|color))?\s*:\s*(?!none\b|0(?:px)?\s*[;"'])/i.test(tag);
}

/**
 * A <pre>'s line breaks as <br>, before all white space is made one space. Each closing is
 * looked for once, from its opening on: an unclosed <pre> keeps its breaks to the end.
 */
function keepPreLines(html: string): string {
  const opening = /<pre\b[^<>]*>/gi;
  const closing = /<\/pre/gi;
  let out = '';
  let from = 0;
  for (let m = opening.exec(html); m !== null; m = opening.exec(html)) {
    const start = m.index + m[0].length;
    closing.lastIndex = start;
    const close = closing.exec(html)?.index ?? -1;
    const end = close < 0 ? html.length : close;
    out += html.slice(from, start) + html.slice(start, end).replace(/\r?\n/g, '<br>');
    from = end;
    opening.lastIndex = end;
    if (close < 0) break;
  }
  return out + html.slice(from);
}

/**
 * `<` and `>` inside a tag's quoted attribute values made spaces: `<span title="</blockquote>">`
 * is no closing tag to a browser, and must not end a quote here either. One pass; comments
 * are passed over whole.
 */
function maskAttributeValues(html: string): string {
  const parts: string[] = [];
  let from = 0;
  let i = 0;
  while (i < html.length) {
    if (html.startsWith('<!--', i)) {
      const end = html.indexOf('-->', i + 4);
      i = end < 0 ? html.length : end + 3;
      continue;
    }
    if (html[i] !== '<' || !/[A-Za-z/]/.test(html[i + 1] ?? '')) {
      i++;
      continue;
    }
    // In a tag: to its `>`, quoted values read past. A quote opens a value only after `=`
    // (`<span x"y="1">`: the first quote is part of a name, as a browser reads it).
    i++;
    let afterEquals = false;
    while (i < html.length && html[i] !== '>') {
      const quote = html[i]!;
      if ((quote !== '"' && quote !== "'") || !afterEquals) {
        if (!/\s/.test(quote)) afterEquals = quote === '=';
        i++;
        continue;
      }
      afterEquals = false;
      const close = html.indexOf(quote, i + 1);
      const end = close < 0 ? html.length : close;
      const value = html.slice(i + 1, end);
      if (/[<>]/.test(value)) {
        parts.push(html.slice(from, i + 1), value.replace(/[<>]/g, ' '));
        from = end;
      }
      i = end + 1;
    }
  }
  parts.push(html.slice(from));
  return parts.join('');
}

/**
 * Removes comments (Office conditionals too), style, script and title elements, and the
 * elements a browser shows as raw text (xmp, noembed, iframe, textarea, …). An unclosed one
 * takes the rest of the body with it, as in a browser, which shows nothing after it either;
 * an unclosed comment loses only its opening.
 */
function dropSections(html: string): string {
  // Elements whose content a browser shows as raw text, never as HTML: a `</blockquote>`
  // inside one (a quoted mail's, copied as it is) must not end a quote here.
  const opening = /<!--|<(style|script|title|xmp|noembed|noframes|noscript|iframe|textarea|plaintext)\b/gi;
  // A kind found unclosed once has no closing further on either: searching again would be quadratic.
  const unclosed = new Set<string>();
  let out = '';
  let from = 0;
  for (let m = opening.exec(html); m !== null; m = opening.exec(html)) {
    const kind = m[1]?.toLowerCase() ?? '!--';
    // The closing tag by its exact name (`</style>`, not `</stylex>`): a browser ends the
    // element there and nowhere else. A <plaintext> never ends.
    const closing = new RegExp(kind === '!--' ? '-->' : `</${kind}(?=[\\s/>])[^<>]*>`, 'gi');
    closing.lastIndex = m.index + m[0].length;
    const close = unclosed.has(kind) || kind === 'plaintext' ? null : closing.exec(html);
    if (!close) unclosed.add(kind);
    out += html.slice(from, m.index);
    // An unclosed element of these runs to the end in a browser: what follows is not shown as
    // HTML either (and inside a quote, a `</blockquote>` after it must not end the quote).
    if (!close && kind !== '!--') return out;
    from = close ? close.index + close[0].length : m.index + m[0].length;
    opening.lastIndex = from;
  }
  return out + html.slice(from);
}


/** What of a parsed mail its body is read from. */
export type BodyParts = Pick<ParsedMail, 'text' | 'html' | 'headers'> & Partial<Pick<ParsedMail, 'textAsHtml'>>;

/**
 * The text the request language is read from: the text part, else the HTML part converted.
 * A mail that is nothing but HTML gets mailparser's wrapped conversion as `text` (unless
 * parsed with skipHtmlToText): its HTML is converted here instead. So is a mail with an HTML
 * leaf that has no text/plain alternative — an HTML body beside a text part a gateway
 * appended (a disclaimer, "scanned by …"), an HTML-only mail with an inline .txt: its `text`
 * holds only the plain leaves, and the writer's lines in the HTML would go unread, while its
 * `html` holds every leaf in MIME order (mailparser writes each plain leaf outside an
 * alternative into it as HTML).
 */
export function requestBodyText(mail: BodyParts): string {
  const htmlOnly = contentTypeOf(mail.headers).type === 'text/html';
  const hasText = mail.text !== undefined && mail.text.trim() !== '';
  if (mail.html && (!hasText || htmlOnly || hasLoneHtml(mail))) return htmlToPlainText(mail.html);
  return hasText ? mail.text! : '';
}

/**
 * Whether the mail has an HTML leaf without a text/plain alternative. Parsed with
 * skipHtmlToText, mailparser gives such a leaf an empty text of its own, which shows in
 * `textAsHtml` as a part `<p></p>` (its parts are joined by `<br/>\n`; a part's own text is
 * escaped, so no text writes that). A plain leaf of nothing but white space looks the same:
 * reading the HTML then loses nothing.
 */
function hasLoneHtml(mail: BodyParts): boolean {
  return mail.textAsHtml?.split('<br/>\n').includes('<p></p>') ?? false;
}
