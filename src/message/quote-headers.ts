// Where a mail's own text ends and text its writer did not write begins: the line a mail
// client puts above a quote or a forward ("On … wrote:", "-----Original Message-----",
// "---------- Forwarded message ---------", "Begin forwarded message:"), or the header block
// of the mail it quotes (Outlook's "From: … / Sent: … / To: … / Subject: …") — in the
// languages mail clients write them in. A `From:` line alone is not a header block: a leave
// request's "From: 2026-07-01" is the writer's own text. A reply header followed by `>`
// lines quotes only those lines: a writer who answers below the quote (bottom-posting, or
// between quoted parts) wrote what follows them. Pure.

/** What mail clients write between dashes above a quoted or forwarded mail, lower case. */
const DASHED = [
  'original message', 'forwarded message', 'ursprüngliche nachricht', 'weitergeleitete nachricht', 'message d\'origine',
  'message transféré', 'oorspronkelijk bericht', 'doorgestuurd bericht', 'opprinnelig melding', 'videresendt melding',
  'oprindelig meddelelse', 'videresendt meddelelse', 'ursprungligt meddelande', 'vidarebefordrat meddelande',
  'alkuperäinen viesti', 'välitetty viesti', 'messaggio originale', 'messaggio inoltrato', 'mensaje original',
  'mensaje reenviado', 'mensagem original', 'mensagem encaminhada', 'wiadomość oryginalna', 'przekazana wiadomość',
  '原始邮件', '原始郵件', '转发邮件', '轉寄郵件', '元のメッセージ', '転送メッセージ',
];
/**
 * Lines longer than this are no client's quote header (the longest, "On … <address> wrote:",
 * is well under it) and are not matched: the header patterns are anchored but not linear on a
 * line of thousands of characters.
 */
const MAX_HEADER_LINE = 500;
/** A reply's header ("On … wrote:", Gmail, Apple Mail, Thunderbird, in other languages too): what follows is quoted with `>`. */
const REPLY_HEADERS = [
  /^on\s.+\bwrote\s*:?$/i,
  /^\S.*\b(?:wrote on|schrieb am|a écrit le|escribió el|schreef op|skrev den)\s+\d.+:$/i, // Lotus Notes: "Bob Stone <b@x> wrote on 02.11.2026 09:55:"
  /^(?:on|am|le|el|em|il|op|den|dne|w dniu)\s.+\b(?:wrote|schrieb|a écrit|escribió|escreveu|ha scritto|schreef|skrev|kirjoitti|napisał)\b.*:\s*$/i,
  /^(?:wrote|schrieb|a écrit|skrev|kirjoitti|ha scritto|escribió|escreveu|schreef|napisał)\s*:$/i,
];
/** Headers above a quote or a forward whose text is not marked: everything below them is quoted. */
const BLOCK_HEADERS = [
  /^(?:begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié)\s*:$/i, // Apple Mail
  /^_{8,}$/, // Outlook on the web's rule above the quote
];
/** The first field of a quoted mail's header block: who sent it. */
const SENDER_FIELD = /^(?:from|von|de|de la|van|fra|från|lähettäjä|da|od|от|від|kimden|feladó|από|מאת|보낸 사람|差出人|发件人|寄件者)\s*[:：]\s*\S/i;
/** The fields that follow it in such a block. */
const OTHER_FIELD = /^(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|date d'envoi|à|objet|verzonden|aan|onderwerp|sendt|dato|til|emne|skickat|till|ämne|lähetetty|päivämäärä|vastaanottaja|aihe|inviato|data|a|oggetto|enviado|fecha|para|asunto|assunto|wysłano|do|temat|отправлено|дата|кому|копия|тема|gönderildi|tarih|kime|bilgi|konu|odesláno|komu|kopie|předmět|elküldve|címzett|tárgy|trimis|către|subiect|στάλθηκε|προς|θέμα|надіслано|נשלח|אל|נושא|보낸 날짜|받는 사람|제목|件名|宛先|日時|发送时间|收件人|主题|寄件日期|收件者|副本|主旨)\s*[:：]/i;
/** How far below the sender field the block's other fields are looked for. */
const BLOCK_LINES = 4;
/** Spaces mail clients put where a space is: no-break, en, em, thin, ideographic. */
const ODD_SPACES = /[\u00a0\u2000-\u200a\u202f\u205f\u3000]/g;
/**
 * Invisible characters that editors and copy-paste leave in text — the zero-width space,
 * direction marks and embeddings, the word joiner, the soft hyphen, a byte-order mark — and
 * that no request line means: before a
 * `Signer:` they hid the line, inside an address they made it invalid while the reply quoted
 * a line that looked right. Joiners between letters (U+200C/D) are part of some scripts'
 * spelling and are kept, except at the start of a line.
 */
const INVISIBLE = /[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
/** The signature's delimiter line ("-- "). */
const SIGNATURE = /^--$/;

/** A line with its odd spaces made plain, its invisible characters gone and its ends trimmed, as the header patterns read it. */
export function plainLine(line: string): string {
  return line.replace(INVISIBLE, '').replace(ODD_SPACES, ' ').trim().replace(/^[\u200c\u200d]+/, '').trim();
}

/**
 * A body's lines. A lone CR ends a line only in a body that has no LF at all (old Mac mail):
 * inside a `>` line of a body that has LFs, it would start a line that no `>` marks — the
 * quoted mail's text read as the writer's own.
 */
export function splitLines(text: string): string[] {
  return text.includes('\n') ? text.split(/\r?\n/) : text.split('\r');
}

/** The index of the first line of quoted or forwarded text, or `lines.length` when there is none. */
export function quoteStart(lines: readonly string[]): number {
  return headerAt(lines.map(plainLine), 0);
}

/** Whose text a line is: the writer's own, quoted or forwarded text, or the writer's signature (from "-- " to the next quote). */
export type LineKind = 'own' | 'quoted' | 'signature';

/**
 * The kind of every line. Below a reply header whose next line starts with `>`, the quote is
 * the `>` lines (and blank ones) that follow it, and the writer's text resumes after them;
 * below any other header everything is quoted. Lines with a `>` of their own outside such a
 * block are left to the caller.
 */
export function lineKinds(lines: readonly string[]): LineKind[] {
  return kindsOf(lines.map(plainLine));
}

/** A body read once for the request language: its lines made plain, whose each is, and (when asked) how deep in quoted text. */
export interface BodyLines {
  readonly plain: readonly string[];
  readonly kinds: readonly LineKind[];
  levels(): readonly QuoteLevel[];
}

/** The last body read: one mail's body is read for each of its keywords (Signer, Due, Record) and more, and made plain once. */
let lastRead: { text: string; body: BodyLines } | undefined;

export function readBody(text: string): BodyLines {
  if (lastRead?.text === text) return lastRead.body;
  const plain = splitLines(text).map(plainLine);
  let levels: readonly QuoteLevel[] | undefined;
  const body: BodyLines = { plain, kinds: kindsOf(plain), levels: () => (levels ??= levelsOf(plain)) };
  lastRead = { text, body };
  return body;
}

function kindsOf(plain: readonly string[]): LineKind[] {
  const kinds: LineKind[] = plain.map(() => 'own');
  let i = 0;
  while (i < plain.length) {
    const start = headerAt(plain, i);
    const signature = plain.slice(i, start).findIndex((line) => SIGNATURE.test(line));
    if (signature >= 0) kinds.fill('signature', i + signature, start);
    if (start === plain.length) break;
    const first = nonEmptyAfter(plain, start, 1)[0];
    if (!isReplyHeader(plain, start) || !first?.startsWith('>')) {
      kinds.fill('quoted', start);
      break;
    }
    let end = start + 1;
    while (end < plain.length && (plain[end] === '' || plain[end]!.startsWith('>'))) end++;
    // Gmail's text part wraps a long attribution inside the address: "On …, Carl Old <" / "carl@x> wrote:".
    const from = start > i && plain[start - 1]!.endsWith('<') ? start - 1 : start;
    kinds.fill('quoted', from, end);
    i = end;
  }
  return kinds;
}

/** Where a line stands in quoted or forwarded text: which quoted mail (the headers above it, also inside `>` quotes) and how many `>` mark it. */
export interface QuoteLevel {
  /** 0 above the first quote header; each header (a reply's, a forward's, a header block), found with the line's `>` marks set aside, starts the next. */
  section: number;
  marks: number;
}

/**
 * The quote level of every line (readBody's levels()). When only quoted text names something,
 * the first quoted mail counts — the one that was forwarded or replied to — and within it the
 * least marked lines: not an older mail in its thread, whether below its own header (inside
 * the `>` quote or not) or quoted deeper.
 */
function levelsOf(plain: readonly string[]): QuoteLevel[] {
  const marks = plain.map((line) => /^[>\s]*/.exec(line)![0].split('>').length - 1);
  const bare = plain.map((line, i) => (marks[i]! > 0 ? line.replace(/^[>\s]+/, '') : line));
  const levels: QuoteLevel[] = [];
  let section = 0;
  let next = headerAt(bare, 0);
  for (let i = 0; i < plain.length; i++) {
    if (i === next) {
      section++;
      next = headerAt(bare, i + 1);
    }
    levels.push({ section, marks: marks[i]! });
  }
  return levels;
}

/**
 * A reply's header: one the patterns know, also between dashes (Zoho: "---- On … wrote ----");
 * or any line that ends in a colon right above a `>` quote — the attribution of a client or
 * language the patterns do not know ("Иван пишет:", "… napsal(a):", "2026年11月2日 … 写道：").
 */
function isReplyHeader(plain: readonly string[], i: number): boolean {
  const line = plain[i]!;
  if (line.length > MAX_HEADER_LINE) return false;
  if (REPLY_HEADERS.some((re) => re.test(line))) return true;
  const dashed = betweenDashes(line);
  if (dashed && REPLY_HEADERS.some((re) => re.test(dashed))) return true;
  return !line.startsWith('>') && endsLikeAttribution(line) && (nonEmptyAfter(plain, i, 1)[0]?.startsWith('>') ?? false);
}

/** Whether a line reads as a reply's attribution ("On … wrote:", or ending in a colon with a date, an address or "wrote"). */
export function isAttributionLine(text: string): boolean {
  const line = plainLine(text);
  return line.length <= MAX_HEADER_LINE && (REPLY_HEADERS.some((re) => re.test(line)) || endsLikeAttribution(line));
}

/**
 * An attribution in words the patterns do not spell out: it ends in a colon and names a date,
 * an address or says "wrote" in some language. A writer's own "…, see his note:" above a quote
 * is not one, nor a forward's "Begin forwarded message:".
 */
function endsLikeAttribution(line: string): boolean {
  return /[:：]$/.test(line) && !BLOCK_HEADERS.some((re) => re.test(line)) && (/[\d@]/.test(line) || ATTRIBUTION_VERB.test(line));
}

/** "wrote" as attributions end in the languages the patterns above do not spell out whole. */
const ATTRIBUTION_VERB = /(?:пишет|написал[аи]?|napsal(?:\(a\)|a)?|napisał[a]?|pisze|kirjoitti|写道|寫道|yazdı|wrote|schrieb|escribió|escreveu|schreef|skrev|scrisse|ha scritto|a écrit)\s*[:：]$/i;

/** The first header at or after line `from`, or `plain.length`. */
function headerAt(plain: readonly string[], from: number): number {
  for (let i = from; i < plain.length; i++) {
    const line = plain[i]!;
    // A header block's sender field is read at any length (its patterns are anchored and
    // linear: a display name of hundreds of characters must not hide the block).
    const field = unbold(line);
    if (SENDER_FIELD.test(field) && isHeaderBlock(field, nonEmptyAfter(plain, i, BLOCK_LINES).map(unbold))) return i;
    if (line.length > MAX_HEADER_LINE) continue;
    const dashed = betweenDashes(line)?.toLowerCase();
    if (dashed && (DASHED.includes(dashed) || dashed.startsWith('forwarded by '))) return i; // Lotus Notes: "----- Forwarded by Ann Lee/CORP on … -----"
    if (isReplyHeader(plain, i) || BLOCK_HEADERS.some((re) => re.test(line))) return i;
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

/** A header field as a client's text part writes the HTML one's bold: `*From:* Bob` → `From: Bob` (Gmail). */
function unbold(line: string): string {
  return line.replace(/^[*_]+/, '').replace(/^([^:：*_]{1,40}?)[*_]+\s*([:：])/, '$1$2').replace(/^([^:：]{1,40}?[:：])[*_]+/, '$1');
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
  const fields = new Set(following.flatMap((line) => OTHER_FIELD.exec(line)?.[0].replace(/\s*[:：]$/, '').toLowerCase() ?? []));
  return fields.size >= 2 || (fields.size >= 1 && /@/.test(sender));
}
