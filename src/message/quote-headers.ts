// Where a mail's own text ends and text its writer did not write begins: the line a mail
// client puts above a quote or a forward ("On … wrote:", "-----Original Message-----",
// "---------- Forwarded message ---------", "Begin forwarded message:"), or the header block
// of the mail it quotes (Outlook's "From: … / Sent: … / To: … / Subject: …") — in the
// languages mail clients write them in. A `From:` line alone is not a header block: a leave
// request's "From: 2026-07-01" is the writer's own text. Pure.

/** What mail clients write between dashes above a quoted or forwarded mail, lower case. */
const DASHED = [
  'original message', 'forwarded message', 'ursprüngliche nachricht', 'weitergeleitete nachricht', 'message d\'origine',
  'message transféré', 'oorspronkelijk bericht', 'doorgestuurd bericht', 'opprinnelig melding', 'videresendt melding',
  'oprindelig meddelelse', 'videresendt meddelelse', 'ursprungligt meddelande', 'vidarebefordrat meddelande',
  'alkuperäinen viesti', 'välitetty viesti', 'messaggio originale', 'messaggio inoltrato', 'mensaje original',
  'mensaje reenviado', 'mensagem original', 'mensagem encaminhada', 'wiadomość oryginalna', 'przekazana wiadomość',
];
/**
 * Lines longer than this are no client's quote header (the longest, "On … <address> wrote:",
 * is well under it) and are not matched: the header patterns are anchored but not linear on a
 * line of thousands of characters.
 */
const MAX_HEADER_LINE = 500;
const LINE_HEADERS = [
  // "On … wrote:" (Gmail, Apple Mail, Thunderbird), and as they write it in other languages.
  /^on\s.+\bwrote\s*:?$/i,
  /^(?:on|am|le|el|em|il|op|den|dne|w dniu)\s.+\b(?:wrote|schrieb|a écrit|escribió|escreveu|ha scritto|schreef|skrev|kirjoitti|napisał)\b.*:\s*$/i,
  /^(?:begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié)\s*:$/i, // Apple Mail
  /^_{8,}$/, // Outlook on the web's rule above the quote
  /^(?:wrote|schrieb|a écrit|skrev|kirjoitti|ha scritto|escribió|escreveu|schreef|napisał)\s*:$/i,
];
/** The first field of a quoted mail's header block: who sent it. */
const SENDER_FIELD = /^(?:from|von|de|van|fra|från|lähettäjä|da|od|от|差出人|发件人|寄件者)\s*:\s*\S/i;
/** The fields that follow it in such a block. */
const OTHER_FIELD = /^(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|date d'envoi|à|objet|verzonden|aan|onderwerp|sendt|dato|til|emne|skickat|till|ämne|lähetetty|päivämäärä|vastaanottaja|aihe|inviato|data|a|oggetto|enviado|fecha|para|asunto|assunto|wysłano|do|temat|件名|宛先|日時|发送时间|收件人|主题)\s*:/i;
/** How far below the sender field the block's other fields are looked for. */
const BLOCK_LINES = 4;
/** Spaces mail clients put where a space is: no-break, zero-width, byte-order mark. */
const ODD_SPACES = /[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]/g;

/** A line with its odd spaces made plain and its ends trimmed, as the header patterns read it. */
export function plainLine(line: string): string {
  return line.replace(ODD_SPACES, ' ').trim();
}

/** The index of the first line of quoted or forwarded text, or `lines.length` when there is none. */
export function quoteStart(lines: readonly string[]): number {
  const plain = lines.map(plainLine);
  for (let i = 0; i < plain.length; i++) {
    const line = plain[i]!;
    if (line.length > MAX_HEADER_LINE) continue;
    const dashed = betweenDashes(line)?.toLowerCase();
    if ((dashed && DASHED.includes(dashed)) || LINE_HEADERS.some((re) => re.test(line))) return i;
    if (SENDER_FIELD.test(line) && isHeaderBlock(line, nonEmptyAfter(plain, i, BLOCK_LINES))) return i;
  }
  return plain.length;
}

/**
 * The words of a "----- Original Message -----" line: between two runs of at least two
 * dashes. Counted, not matched with a pattern — `^-{2,}\s*(.+?)\s*-{2,}$` took a second on a
 * line of 2,000 dashes ending in a letter (cubic), three times per request mail.
 */
function betweenDashes(line: string): string | undefined {
  let start = 0;
  while (line[start] === '-') start++;
  let end = line.length;
  while (end > start && line[end - 1] === '-') end--;
  if (start < 2 || line.length - end < 2 || end <= start) return undefined;
  return line.slice(start, end).trim();
}

/** The first `count` non-empty lines after line `i`: looked at one by one, never the whole rest (a body of 80,000 "From:" lines took a minute). */
function nonEmptyAfter(plain: readonly string[], i: number, count: number): string[] {
  const found: string[] = [];
  for (let j = i + 1; j < plain.length && found.length < count; j++) if (plain[j] !== '') found.push(plain[j]!);
  return found;
}

/**
 * A sender field starts a quoted mail's header block when the block names an address, or two
 * more of a header's fields follow it (Outlook: Sent, To, Subject; Gmail: Date, Subject, To).
 * "From: 2026-07-01 / To: 2026-07-14" in a leave request is neither.
 */
function isHeaderBlock(sender: string, following: readonly string[]): boolean {
  const fields = new Set(following.flatMap((line) => OTHER_FIELD.exec(line)?.[0].replace(/\s*:$/, '').toLowerCase() ?? []));
  return fields.size >= 2 || (fields.size >= 1 && /@/.test(sender));
}
