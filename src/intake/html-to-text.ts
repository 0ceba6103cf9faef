// HTML body → plain text, for mails without a text part. mailparser's own conversion is not
// used: it wraps lines at 80 characters (splitting a long `Signer:` line in two) and skips
// HTML that is not the root part (an HTML-only mail with an attachment gets no text at all).
// Only what the request language needs: block elements become line breaks, and every HTML
// entity decodes the way a browser decodes it (the `entities` package, which htmlparser2 —
// under mailparser's own html-to-text — decodes with: `J&uuml;rgen` is Jürgen).
import { decodeHTML } from 'entities';
import type { ParsedMail } from 'mailparser';

const BLOCK_TAGS = 'p|div|br|li|ul|ol|tr|table|h[1-6]|blockquote|pre|hr|section|article|header|footer|dt|dd';

// Tag patterns stop at the next `<`, and skipped sections are cut with indexOf: a hostile
// body full of unclosed `<` or `<!--` must not make the regular expressions quadratic.
export function htmlToPlainText(html: string): string {
  return dropSections(html)
    .replace(/\s+/g, ' ')
    .replace(new RegExp(`<\\/?(?:${BLOCK_TAGS})\\b[^<>]*>`, 'gi'), '\n')
    .replace(/<[^<>]*>/g, '')
    .split('\n')
    .map(decodeHTML)
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
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
