// A large mail without its attachments' bytes: the full header, every text part as it came,
// and each other part's MIME header with an empty body — so a parser still sees the subject,
// the recipients, the text and every attachment's name and type. Built from what IMAP serves
// without downloading the whole message (BODYSTRUCTURE, then BODY[n.MIME] and the text
// parts' BODY[n]). The completion watcher reads a mail with a 20 MB signed PDF this way when
// the PDF's bytes are not needed; the request watcher reads a large request this way with
// each attachment downloaded on its own and a placeholder in its place. Pure: the structure
// and the fetched pieces in, bytes out. A bounce is read this way too (`report`): its report
// part and the header of the message it returns, never that message's attachments.
import type { MessageStructureObject } from 'imapflow';

/** What a delivery report's parts are: its status part, and the original's header or whole message. */
const REPORT_STATUS_TYPES = ['message/delivery-status', 'message/global-delivery-status', 'message/global-headers'];
const ATTACHED_MESSAGE_TYPES = ['message/rfc822', 'message/global'];
/** A report's status part larger than this is no mail system's (a line per recipient): not fetched. */
export const MAX_REPORT_PART_BYTES = 256 * 1024;

export interface OutlineOptions {
  /** The body of every text/* leaf, attached or not. */
  textAttachments?: boolean;
  /**
   * A bounce's parts (process-bounce.ts): every text/* leaf (text/rfc822-headers), each report
   * status part up to MAX_REPORT_PART_BYTES, and of an attached message only its header
   * (BODY[n.HEADER]) — a bounce that returns a 20 MB signed PDF is read without it.
   */
  report?: boolean;
}

/**
 * The pieces to fetch: each leaf's MIME header, and the body of each text leaf — with
 * `textAttachments`, of every text/* leaf, attached or not (read in parts: a text file keeps
 * its bytes as they came, where a part downloaded on its own would be converted to UTF-8).
 */
export function outlineParts(structure: MessageStructureObject, options: OutlineOptions = {}): { mime: string[]; bodies: string[] } {
  const leaves = leavesOf(structure);
  const withBody = options.report ? isReportBody : options.textAttachments ? isText : isTextLeaf;
  return {
    mime: leaves.map((leaf) => `${leaf.part}.MIME`),
    bodies: [
      ...leaves.filter(withBody).map((leaf) => leaf.part!),
      ...(options.report ? leaves.filter((leaf) => ATTACHED_MESSAGE_TYPES.includes(leaf.type.toLowerCase())).map((leaf) => `${leaf.part}.HEADER`) : []),
    ],
  };
}

function isReportBody(leaf: MessageStructureObject): boolean {
  return isText(leaf) || (REPORT_STATUS_TYPES.includes(leaf.type.toLowerCase()) && (leaf.size ?? 0) <= MAX_REPORT_PART_BYTES);
}

/** Whether the structure is one the outline can stand for (a multipart; a single part is fetched whole). */
export function canOutline(structure: MessageStructureObject | undefined): structure is MessageStructureObject {
  return structure !== undefined && structure.type.toLowerCase().startsWith('multipart/') && leavesOf(structure).length > 0;
}

/** A part to download on its own: its number and the most bytes its body can decode to. */
export interface OtherPart {
  part: string;
  /** Undefined when the server did not say how large the part is. */
  decodedAtMost: number | undefined;
}

/** The leaves that are not text/* (attachments, inline images, attached messages); `messageSize` bounds each. */
export function otherParts(structure: MessageStructureObject, messageSize?: number): OtherPart[] {
  return leavesOf(structure).filter((leaf) => !isText(leaf)).map((leaf) => ({ part: leaf.part!, decodedAtMost: decodedAtMost(leaf, messageSize) }));
}

/**
 * Base64 carries 3 bytes in 4 characters (and its line breaks carry none); any other transfer
 * encoding decodes to at most as many bytes as it takes — and no part to more than the whole
 * message, whatever size its structure claims.
 */
function decodedAtMost(leaf: MessageStructureObject, messageSize = Number.POSITIVE_INFINITY): number | undefined {
  if (leaf.size === undefined) return undefined;
  return Math.min(leaf.encoding?.toLowerCase() === 'base64' ? Math.ceil(leaf.size / 4) * 3 : leaf.size, messageSize);
}

/**
 * The outline as a message: the header (its Content-Type replaced by one of our boundary),
 * then the structure's parts in order — each leaf's MIME header, and its body if it is text.
 * Multiparts keep their nesting, as multipart/mixed with a boundary of ours, but for two kinds
 * the reader tells apart: a multipart/report (a bounce: classify-automatic-mail.ts) and a
 * multipart/alternative (its text and HTML leaves are one body twice, not two bodies:
 * html-to-text.ts requestBodyText). A leaf named in `stand` (part → text) has that text as its
 * body, unencoded: a placeholder for bytes fetched on their own, which the reader puts in its
 * place (read-request-mail.ts).
 */
export function buildOutline(header: Buffer, structure: MessageStructureObject, pieces: Map<string, Buffer>, boundary: string, stand = new Map<string, string>()): Buffer {
  const top = withoutHeaders(header.toString('latin1'), /^(content-type|content-transfer-encoding)\s*:/i);
  const chunks = [top];
  let multiparts = 0;
  const write = (node: MessageStructureObject, own: string) => {
    chunks.push(`Content-Type: ${outlineType(node)}; boundary="${own}"\r\n\r\n`);
    for (const child of node.childNodes!) {
      if (!isMultipart(child) && !child.part) continue;
      chunks.push(`--${own}\r\n`);
      if (isMultipart(child)) write(child, `${boundary}.${++multiparts}`);
      else chunks.push(leafOf(child, pieces, stand));
      chunks.push('\r\n');
    }
    chunks.push(`--${own}--\r\n`);
  };
  write(structure, boundary);
  return Buffer.from(chunks.join(''), 'latin1');
}

function outlineType(node: MessageStructureObject): string {
  const type = node.type.toLowerCase();
  return type === 'multipart/report' || type === 'multipart/alternative' ? type : 'multipart/mixed';
}

/** A leaf as the outline writes it: its MIME header, then the body fetched (outlineParts) as it came, its placeholder, or nothing. */
function leafOf(leaf: MessageStructureObject, pieces: Map<string, Buffer>, stand: Map<string, string>): string {
  let mime = pieces.get(`${leaf.part}.MIME`)?.toString('latin1') ?? `Content-Type: ${leaf.type}\r\n\r\n`;
  // Of an attached message, its header when only that was fetched (a bounce's returned mail).
  let body = (pieces.get(leaf.part!) ?? pieces.get(`${leaf.part}.HEADER`))?.toString('latin1') ?? '';
  const placeholder = stand.get(leaf.part!);
  if (placeholder !== undefined) {
    mime = `${withoutHeaders(mime, /^content-transfer-encoding\s*:/i)}Content-Transfer-Encoding: 7bit\r\n`;
    body = placeholder;
  }
  return `${mime.replace(/(\r?\n)*$/, '\r\n\r\n')}${body}`;
}

function isMultipart(node: MessageStructureObject): boolean {
  return node.childNodes !== undefined && node.type.toLowerCase().startsWith('multipart/');
}

/** The parts with content of their own, in order (multiparts opened; an attached message is one leaf). */
function leavesOf(node: MessageStructureObject): MessageStructureObject[] {
  if (isMultipart(node)) return node.childNodes!.flatMap(leavesOf);
  return node.part ? [node] : [];
}

function isText(leaf: MessageStructureObject): boolean {
  return leaf.type.toLowerCase().startsWith('text/');
}

/** Text a reader sees: text/plain or text/html not marked as an attachment. */
function isTextLeaf(leaf: MessageStructureObject): boolean {
  const type = leaf.type.toLowerCase();
  return (type === 'text/plain' || type === 'text/html') && leaf.disposition?.toLowerCase() !== 'attachment';
}

/** The header block without the fields `drop` matches (folded lines included), ending in one CRLF. */
function withoutHeaders(header: string, drop: RegExp): string {
  const lines = header.replace(/(\r?\n)+$/, '').split(/\r?\n/);
  const kept: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!skipping) kept.push(line);
      continue;
    }
    skipping = drop.test(line);
    if (!skipping) kept.push(line);
  }
  return `${kept.join('\r\n')}\r\n`;
}
