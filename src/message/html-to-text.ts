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
import type { ParsedMail } from 'mailparser';

const BLOCK_TAGS = 'p|div|br|li|ul|ol|tr|table|h[1-6]|blockquote|pre|hr|section|article|header|footer|dt|dd';

// Tag patterns stop at the next `<`, and skipped sections are cut with indexOf: a hostile
// body full of unclosed `<` or `<!--` must not make the regular expressions quadratic.
export function htmlToPlainText(html: string): string {
  const lines = keepPreLines(dropSections(html.replace(/[\u0001\u0002]/g, '')))
    .replace(/\s+/g, ' ')
    .replace(/<blockquote\b[^<>]*>/gi, `\n${QUOTE_OPENS}\n`)
    .replace(/<\/blockquote\b[^<>]*>/gi, `\n${QUOTE_CLOSES}\n`)
    .replace(new RegExp(`<\\/?(?:${BLOCK_TAGS})\\b[^<>]*>`, 'gi'), '\n')
    .replace(/<\/t[dh]\b[^<>]*>/gi, ' ')
    .replace(/<[^<>]*>/g, '')
    .split('\n');
  let depth = 0;
  const out: string[] = [];
  for (const raw of lines) {
    if (raw === QUOTE_OPENS) depth++;
    else if (raw === QUOTE_CLOSES) depth = Math.max(0, depth - 1);
    else {
      const line = decodeHTML(raw).replace(/[ \t\u00a0]+/g, ' ').trim();
      out.push(depth > 0 && line !== '' ? `${'> '.repeat(depth)}${line}` : line);
    }
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** Where a <blockquote> opens and closes, on lines of their own while the text is made (control characters the input is cleared of). */
const QUOTE_OPENS = '\u0001';
const QUOTE_CLOSES = '\u0002';

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
 * Removes comments (Office conditionals too) and style, script and title elements. An
 * unclosed one loses only its opening: better some CSS in the text than no body at all.
 */
function dropSections(html: string): string {
  const opening = /<!--|<(style|script|title)\b/gi;
  // A kind found unclosed once has no closing further on either: searching again would be quadratic.
  const unclosed = new Set<string>();
  let out = '';
  let from = 0;
  for (let m = opening.exec(html); m !== null; m = opening.exec(html)) {
    const kind = m[1]?.toLowerCase() ?? '!--';
    const closing = new RegExp(kind === '!--' ? '-->' : `</${kind}[^<>]*>`, 'gi');
    closing.lastIndex = m.index + m[0].length;
    const close = unclosed.has(kind) ? null : closing.exec(html);
    if (!close) unclosed.add(kind);
    out += html.slice(from, m.index);
    from = close ? close.index + close[0].length : m.index + m[0].length;
    opening.lastIndex = from;
  }
  return out + html.slice(from);
}

/**
 * The text the request language is read from: the text part, else the HTML part converted.
 * A mail that is nothing but HTML gets mailparser's wrapped conversion as `text` (unless
 * parsed with skipHtmlToText): its HTML is converted here instead.
 */
export function requestBodyText(mail: Pick<ParsedMail, 'text' | 'html' | 'headers'>): string {
  const contentType = mail.headers?.get('content-type');
  const htmlOnly = typeof contentType === 'object' && contentType !== null && 'value' in contentType && String(contentType.value).toLowerCase() === 'text/html';
  if (mail.text && mail.text.trim() !== '' && !(htmlOnly && mail.html)) return mail.text;
  return mail.html ? htmlToPlainText(mail.html) : '';
}
