// Text that came from outside (a mail, a PDF, a provider) and is quoted back somewhere —
// a reply, a problem message, a log line — is quoted on one line and cut to a bound, so no
// sender decides how much of their text signrelay repeats or how it is laid out.

/**
 * Line breaks and other control or format characters become one space; trimmed. A joiner
 * (U+200C ZWNJ, U+200D ZWJ) between two letters or marks stays: it is spelling in Persian and
 * Indic scripts, and turned into a space it split `علی‌رضا` into two names (names review L2).
 * Direction overrides, isolates and marks are format characters too, and go.
 */
export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\s]+/gu, (run, at: number, all: string) =>
    (/^[\u200c\u200d]$/.test(run) && /[\p{L}\p{M}]$/u.test(all.slice(Math.max(0, at - 2), at)) && /^[\p{L}\p{M}]/u.test(all.slice(at + 1, at + 3)) ? run : ' ')).trim();
}

/** At most `max` characters (code points), with `…` when cut. */
export function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('').trimEnd()}…`;
}

/** `oneLine` then `cut`: the usual way to quote outside text. */
export function quoteOutside(text: string, max: number): string {
  return cut(oneLine(text), max);
}

/**
 * Links made inert for a mail that quotes outside text back (`https://x` → `https[:]//x`,
 * `www.` → `www[.]`): a reply whose sender may have been forged must not carry a sender's
 * clickable link, in a mail from a trusted address, to whoever the sender named.
 */
export function defuseLinks(text: string): string {
  // Every `://` and `www.`, wherever they stand: `1https://x` and `see_www.x` are links to some clients too.
  return text.replace(/:\/\//g, '[:]//').replace(/(www)\./gi, '$1[.]');
}

/**
 * A mail's Message-ID as it may go into a header of a mail signrelay sends (In-Reply-To,
 * References): one that could break one is left out — a line break, or more than fits one
 * line of 998 characters beside `In-Reply-To: `.
 */
export function threadableId(messageId: string | null | undefined): string | undefined {
  return messageId && messageId.length <= MAX_THREADED_ID_CHARS && /^[^\s\p{C}]+$/u.test(messageId) ? messageId : undefined;
}

/** RFC 5322's 998 characters a line, less the longest header name it goes after (`In-Reply-To: `) and a margin. */
const MAX_THREADED_ID_CHARS = 900;

/**
 * A reply's threading to the mail it answers: its In-Reply-To, and References — what the mail
 * carried, then its own id, each once, the last ten — only ids that fit a header line (threadableId).
 */
export function threadTo(messageId: string | null | undefined, references: readonly string[] = []): { inReplyTo: string | undefined; references: string[] } {
  const inReplyTo = threadableId(messageId);
  return { inReplyTo, references: [...new Set([...references.filter((r) => threadableId(r) !== undefined), ...(inReplyTo ? [inReplyTo] : [])])].slice(-10) };
}
