// Where a mail's own text ends and text its writer did not write begins: the header mail
// clients put above a quote or a forward ("On … wrote:", "-----Original Message-----",
// "---------- Forwarded message ---------", Outlook's "From: …" block). Pure.

const QUOTE_HEADERS = [
  /^on\s.+\bwrote\s*:?$/i, // Gmail, Apple Mail, Thunderbird
  /^-{2,}\s*original message\s*-{2,}$/i, // Outlook
  /^-{2,}\s*forwarded message\s*-{2,}$/i, // Gmail
  /^-{2,}\s*begin forwarded message\s*:?\s*-*$/i, // Apple Mail
  /^begin forwarded message\s*:$/i,
  /^(from|von|de|van)\s*:\s*\S/i, // Outlook's header block
  /^_{8,}$/, // Outlook on the web's rule above the quote
  /^(?:wrote|schrieb|a écrit)\s*:$/i,
];
/** Spaces mail clients put where a space is: no-break, zero-width, byte-order mark. */
const ODD_SPACES = /[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]/g;

/** A line with its odd spaces made plain and its ends trimmed, as the header patterns read it. */
export function plainLine(line: string): string {
  return line.replace(ODD_SPACES, ' ').trim();
}

/** Whether a (plain) line is the header above a quote or a forward. */
export function isQuoteHeader(line: string): boolean {
  return QUOTE_HEADERS.some((re) => re.test(line));
}
