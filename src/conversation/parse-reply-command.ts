// A reply's command, pure: the first non-empty line of the reply's own text — not quoted
// text or the header above it ("On … wrote:", "-----Original Message-----", "From: …"; a
// writer may answer below a `>` quote), and before a signature ("-- ") — is one of `cancel [reason]`, `remind`, `extend YYYY-MM-DD | Nd`,
// `status`, in any case, with any spacing and a trailing colon or full stop. Anything else is
// `unknown` (with the line, so the answer can say what was read) or `none` (nothing written
// above the quote). The date of `extend` is checked as a calendar date here; whether it is
// late enough is decided against the request (decide-reply.ts).
import { readBody } from '../message/quote-headers.ts';
import { quoteOutside } from '../outside-text.ts';

export type ReplyCommand =
  | { name: 'cancel'; reason: string }
  | { name: 'remind' }
  | { name: 'status' }
  | { name: 'extend'; until: { date: string } | { days: number } }
  | { name: 'unknown'; line: string; problem: string }
  | { name: 'none' };

/** How much of a cancel reason is kept (the record's bound for a reason). */
export const MAX_REASON_CHARS = 500;
/** How much of an unknown first line an answer quotes. */
const MAX_LINE_CHARS = 80;

export function parseReplyCommand(text: string): ReplyCommand {
  const { plain, kinds } = readBody(text);
  let banners = 0;
  for (const [i, line] of plain.entries()) {
    // A `>` line is quoted whether or not a header we know stands above it (Apple Mail puts
    // its "On … wrote:" inside the quote): the writer's text may follow it.
    if (line === '' || kinds[i] === 'quoted' || line.startsWith('>')) continue;
    if (kinds[i] === 'signature') return { name: 'none' };
    // A gateway's warning put on top of the body after the writer sent it, or the marking
    // their client puts on every mail: not their first line.
    if (banners < MAX_BANNER_LINES && (isExternalSenderBanner(line) || isClassificationMarking(line))) {
      banners++;
      continue;
    }
    return parseLine(line);
  }
  return { name: 'none' };
}

/** How many banner or marking lines are passed over at the top of a reply (one gateway's, a second's, the client's marking). */
const MAX_BANNER_LINES = 3;

/**
 * The "external sender" banner a mail gateway (Microsoft 365 transport rules, Mimecast,
 * Proofpoint) puts above the body of mail from outside the organisation: `[EXTERNAL]`,
 * `EXTERNAL EMAIL: …`, `CAUTION: This email originated from outside of the organization. …`,
 * Microsoft's first-contact tip "You don't often get email from … Learn why this is
 * important". Only whole lines of that shape: a tag alone, or a warning that says where the
 * mail came from — never a line that starts with a command word.
 */
function isExternalSenderBanner(line: string): boolean {
  const plain = line.normalize('NFKC').replace(/^[\s*_#!]+/, '').replace(/[\s*_#!]+$/, '');
  if (/^you don'?t often get e-?mail from\b.*\blearn why this is important/i.test(plain)) return true;
  // `[EXTERNAL]`, `[EXT]`, `EXTERNAL SENDER` alone on the line; `EXTERNAL EMAIL: Use caution …`.
  if (/^[[(]?\s*(?:external(?:\s+(?:e-?mail|message|sender))?|ext)\s*[\])]?$/i.test(plain)) return true;
  if (/^[[(]?\s*external\s+(?:e-?mail|message|sender)\s*[\])]?\s*[:!.-]/i.test(plain)) return true;
  // A warning that says where the mail came from: a tag or "This email …", and the words of it —
  // not any line that mentions something external (diff review 19 L1: "Warning: the external
  // signer is on leave." was passed over, and the writer's second line taken as the command).
  const tag = BANNER_TAG.exec(plain)?.[0];
  const rest = plain.slice(tag?.length ?? 0);
  return (tag !== undefined || /^this\s+(?:e-?mail|message|mail)\b/i.test(rest)) && CAME_FROM_OUTSIDE.test(rest);
}

/**
 * A classification marking the writer's mail client puts on top of every mail, which the writer
 * cannot take off (Microsoft Purview's sensitivity-label header text, government marking
 * rules): `OFFICIAL`, `OFFICIAL: Sensitive`, `PROTECTED`, `Classification: Internal`,
 * `Sensitivity: Confidential`, `[SEC=OFFICIAL]`. Every command was "unknown" for those
 * writers (conversation review L3). Only a whole line of that shape: a marking word alone,
 * a `Classification:`/`Sensitivity:` label with one to three words, a `[SEC=…]` tag.
 */
function isClassificationMarking(line: string): boolean {
  const plain = line.normalize('NFKC').replace(/^[\s*_#!]+/, '').replace(/[\s*_#!]+$/, '');
  if (MARKING_LINE.test(plain)) return true;
  if (/^(?:(?:security|data|information)\s+)?(?:classification|sensitivity)\s*[:=-]\s*[\w-]+(?:[\s:/-]+[\w-]+){0,2}\s*$/i.test(plain)) return true;
  return /^\[\s*(?:sec|dlm)\s*=[^\]\n]{1,120}\]$/i.test(plain);
}

/** A marking alone on its line: `OFFICIAL`, `OFFICIAL: Sensitive`, `[PROTECTED]`, `TOP SECRET`, `Internal use only`, `Highly Confidential`. */
const MARKING_LINE = /^[[(]?\s*(?:unofficial|official(?:[\s:-]+sensitive)?|protected|(?:top\s+)?secret|unclassified|(?:strictly\s+|highly\s+)?confidential|internal(?:\s+(?:use\s+)?only)?|public|restricted|sensitive|general|limited)\s*[\])]?$/i;

/** The tag a banner starts with: `CAUTION:`, `WARNING -`, `[NOTICE]`, a whole word each. */
const BANNER_TAG = /^[[(]?\s*(?:caution|warning|attention|notice)\b\s*[\])]?\s*[:!.-]*\s*/i;
/** "… originated from outside of the organization", "… came from an external sender", "… is from outside your company". */
const CAME_FROM_OUTSIDE = /\b(?:originated|originates|came|comes|was\s+sent|is|arrived)\s+from\s+(?:an?\s+)?(?:outside|external)\b|\boutside\s+(?:of\s+)?(?:the|your|our)\s+(?:organi[sz]ation|company|network|firm)\b/i;

/**
 * Words that, among the first three after `cancel`, make it a condition or a doubt rather than
 * an order ("cancel it if Bob has not signed by Friday", "cancel or extend"): the cancel would
 * be carried out at once all the same. Further on they are the reason's own words.
 */
const CONDITION = /^(?:\S+\s+){0,2}(?:or|if|unless|when|whenever|until|till|in case|maybe|perhaps)\b/i;
/**
 * A negation right after `cancel` (after its `:` or `-`, and a filler word such as "it",
 * "that", "oh", "actually"): "Cancel: no need, Bob signed", "Cancel not needed", "cancel - no,
 * wait", "cancel nothing yet", "cancel, please don't". Each may mean "do not cancel", and a
 * cancel cannot be undone — it was carried out, the words taken for its reason (conversation
 * review M1). "Cancel not needed" reads both ways, and a refusal costs one more mail, a
 * withdrawal cannot be taken back. The commonest reasons are not negations: "no longer
 * required", "no show", "not the final version" (diff review 22 L2). Only the first words
 * count: "cancel: the signer is not available" is a reason.
 */
const NEGATED = /^(?:(?:it|that|this|please|pls|plz|oh|um+|uh+|ok|okay|actually|sorry|er+|hm+)[\s,.!;:–—-]+)*(?:no(?![\s-]+(?:longer|show)\b)|not(?!\s+(?:the|a|an|this|that|my|our|his|her|their|your)\b)|nope|nah|don'?t|do\s+not|doesn'?t|does\s+not|nothing|never|nevermind|wait|hold\s+(?:on|off)|ignore|disregard|scratch\s+that)(?![\w'’-])/i;
/** What may follow `remind`: nothing of substance ("Remind: no need, Bob signed" is no request to remind). */
const POLITE = /^(?:(?:please|pls|plz|now|again|them|all|thanks|thank you)[\s,.!]*)*$/i;

function parseLine(written: string): ReplyCommand {
  // Full-width forms as an East Asian keyboard writes them: ｓｔａｔｕｓ, cancel：, remind！
  const line = written.normalize('NFKC');
  // `*cancel*` (bold from an HTML reply), `Cancel:`, `STATUS.` — the word, then the rest.
  // `s`: a line separator (U+2028) inside the line is part of the reason, not its end.
  const m = /^[*_]*([A-Za-z]+)[*_]*(?:\s*([:.!?。]+))?(\s*)(.*)$/s.exec(line);
  // The word ends at punctuation or a space: "cancel2" is no command.
  const word = m && (m[4] === '' || m[2] || m[3]) ? m[1]!.toLowerCase() : undefined;
  const rest = (m?.[4] ?? '').trim();
  // A question is not an order: "Cancel or extend? Bob is away" must not withdraw the request.
  const asks = `${m?.[2] ?? ''}${rest}`.includes('?');
  const unknown = (problem: string): ReplyCommand => ({ name: 'unknown', line: quoteOutside(written, MAX_LINE_CHARS), problem });
  switch (word) {
    case 'cancel':
      if (asks) return unknown('it asks a question, and cancel withdraws the request at once: to withdraw it, write cancel (and a reason) on the first line');
      if (CONDITION.test(rest)) return unknown('cancel withdraws the request at once, never on a condition: write cancel on the first line when you want it withdrawn');
      if (NEGATED.test(rest.replace(/^[-–—:,]\s*/, '').replace(/[’]/g, "'"))) {
        return unknown('the words after cancel may say not to cancel, and cancel withdraws the request at once: to withdraw it, write cancel and a reason that does not start with no, not, wait or the like (cancel: HR no longer needs it)');
      }
      return { name: 'cancel', reason: quoteOutside(rest.replace(/^[-–—:]\s*/, ''), MAX_REASON_CHARS) };
    case 'remind':
      if (asks || !POLITE.test(rest)) return unknown('to remind the signers, write remind alone on the first line');
      return { name: 'remind' };
    case 'status':
      return { name: 'status' };
    case 'extend':
      if (asks) return unknown('it asks a question: to move the due date, write extend 2026-12-24 or extend 7d on the first line');
      return parseExtend(rest, line);
    default:
      return unknown('it is not a command signrelay knows');
  }
}

function parseExtend(argument: string, line: string): ReplyCommand {
  const value = argument.replace(/[.!]+$/, '').trim();
  const relative = /^(?:by\s+)?(\d{1,3})\s*(d|days?|w|weeks?)$/i.exec(value);
  if (relative) {
    const days = Number(relative[1]) * (relative[2]!.toLowerCase().startsWith('w') ? 7 : 1);
    if (days > 0) return { name: 'extend', until: { days } };
  }
  const date = /^(?:to\s+)?(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/i.exec(value);
  if (date) {
    const iso = `${date[1]}-${date[2]!.padStart(2, '0')}-${date[3]!.padStart(2, '0')}`;
    const parsed = new Date(`${iso}T00:00:00Z`);
    if (!Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === iso) return { name: 'extend', until: { date: iso } };
    return { name: 'unknown', line: quoteOutside(line, MAX_LINE_CHARS), problem: `${iso} is not a calendar date` };
  }
  return { name: 'unknown', line: quoteOutside(line, MAX_LINE_CHARS), problem: 'extend needs a date (extend 2026-12-24) or a number of days (extend 7d)' };
}
