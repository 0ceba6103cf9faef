// Raw request mail → ParsedMail, with forwarded messages opened. The one async step of
// intake: mailparser parses asynchronously, and a mail forwarded "as attachment" carries
// its PDFs inside a message/rfc822 part. Unpacking it here keeps `parseRequestMail`
// synchronous and pure.
import type { Attachment, ParsedMail, SimpleParserOptions } from 'mailparser';
import { requestBodyText, type BodyParts } from './html-to-text.ts';

// mailparser (with its HTML and charset tables) is loaded on first use, not at start-up:
// the daemon is in IDLE sooner, and `warmMailParser()` loads it once it is.
let parser: Promise<typeof import('mailparser')> | undefined;
const mailparser = () => (parser ??= import('mailparser'));

/** Loads the mail parser ahead of the first mail (the daemon calls it once its watchers are up). */
export async function warmMailParser(): Promise<void> {
  await mailparser();
}

async function simpleParser(raw: Buffer | string, options: SimpleParserOptions): Promise<ParsedMail> {
  return (await mailparser()).simpleParser(raw, options);
}

/** Forwards of forwards are opened this deep; deeper ones stay packed (and are ignored). */
export const MAX_FORWARD_DEPTH = 3;

const PARSE_OPTIONS: SimpleParserOptions & { ignoreEmbedded: boolean } = {
  // Inline images need not be copied into the HTML as data: URLs.
  keepCidLinks: true,
  // mailparser's conversion wraps lines at 80 columns; see html-to-text.ts.
  skipHtmlToText: true,
  // Passed on to mailsplit: keep every message/rfc822 part packed, opened below. Left to
  // mailparser, an inline message inside an inline message made it drop every part after
  // them (mailparser 3.9.31) — PDFs included.
  ignoreEmbedded: true,
  // A delivery report's status part stays a part of its own (classify-automatic-mail.ts tells
  // a bounce by it); by default mailparser folds it into the mail's text.
  keepDeliveryStatus: true,
};

/** The attachments that came out of a forwarded (attached) message, not the mail's own parts. */
const forwarded = new WeakSet<Attachment>();

/** Whether this attachment was inside a message the mail carried as an attachment (a forward). */
export function fromForwardedMessage(attachment: Attachment): boolean {
  return forwarded.has(attachment);
}

/** A mail as intake reads it: mailparser's, with the text of the messages it forwarded as attachments. */
export type ReadMail = ParsedMail & ForwardedText;

export interface ForwardedText {
  /**
   * The text of each message attached to the mail (message/rfc822: "Forward as attachment"),
   * each below the line a client writes above an inline forward; empty when there is none.
   */
  forwardedText?: string;
}

/**
 * `parts`: a mail read in parts (WatchedMessage.fetchInParts) — each attachment whose content
 * is one of its placeholders gets the part's bytes instead, before forwarded messages are
 * opened.
 */
export async function readRequestMail(raw: Buffer | string, parts?: ReadonlyMap<string, Buffer>): Promise<ReadMail> {
  const mail = await simpleParser(raw, PARSE_OPTIONS);
  return expandForwardedMessages(parts && parts.size > 0 ? withParts(mail, parts) : mail);
}

/**
 * The text the request language is read from: the body, then the messages the mail forwarded
 * as attachments, as an inline forward writes them. So a request forwarded as an attachment
 * reads as one forwarded inline: its Signer, Record and Due lines are quoted text, which
 * counts only where the forwarder wrote no line of that kind (directive-lines.ts), and of
 * several forwarded messages the first that names it.
 */
export function requestText(mail: BodyParts & ForwardedText): string {
  const body = requestBodyText(mail);
  return mail.forwardedText ? `${body}\n\n${mail.forwardedText}` : body;
}

/** The line Gmail writes above an inline forward: everything below it is quoted (quote-headers.ts). */
const FORWARD_LINE = '---------- Forwarded message ---------';

/**
 * A mail as it came, its attached messages left packed: a bounce's returned message is read
 * for its header (read-bounce.ts), not opened as a forward.
 */
export async function readPackedMail(raw: Buffer | string): Promise<ParsedMail> {
  return simpleParser(raw, PARSE_OPTIONS);
}

function withParts(mail: ParsedMail, parts: ReadonlyMap<string, Buffer>): ParsedMail {
  // Only content as short as a placeholder can be one: a large attachment is never made a string.
  const longest = Math.max(...[...parts.keys()].map((placeholder) => placeholder.length));
  const attachments = mail.attachments.map((attachment) => {
    const bytes = attachment.content.length <= longest ? parts.get(attachment.content.toString('latin1')) : undefined;
    return bytes ? { ...attachment, content: bytes, size: bytes.length } : attachment;
  });
  return { ...mail, attachments };
}

/**
 * Replaces each attached message/rfc822 part by the attachments inside it (recursively),
 * so PDFs in a forwarded mail count as the mail's own; the text of each message the mail
 * itself attached is kept as `forwardedText` (not that of a message attached to one of them:
 * an older mail in its thread). A part mailparser cannot read stays as it was.
 */
export async function expandForwardedMessages(mail: ParsedMail, depth = MAX_FORWARD_DEPTH): Promise<ReadMail> {
  const texts: string[] = [];
  const attachments = await expandAttachments(mail.attachments, depth, (inner) => texts.push(`${FORWARD_LINE}\n${requestBodyText(inner)}`));
  return { ...mail, attachments, forwardedText: texts.join('\n\n') };
}

async function expandAttachments(attachments: Attachment[], depth: number, opened?: (inner: ParsedMail) => void): Promise<Attachment[]> {
  const out: Attachment[] = [];
  for (const attachment of attachments) {
    if (depth <= 0 || attachment.contentType.toLowerCase() !== 'message/rfc822') {
      out.push(attachment);
      continue;
    }
    try {
      const inner = await simpleParser(attachment.content, PARSE_OPTIONS);
      const inside = await expandAttachments(inner.attachments, depth - 1);
      for (const part of inside) forwarded.add(part);
      out.push(...inside);
      opened?.(inner);
    } catch {
      out.push(attachment);
    }
  }
  return out;
}
