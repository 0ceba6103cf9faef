// The key of a request mail that has no Message-ID: what its sender wrote, never what the
// servers on its way added. Two deliveries of one mail — an SMTP retry after the answer to
// DATA was lost, two MX hosts, a journaling or forwarding rule — differ only in the trace
// fields each server puts on top (Received, Delivered-To, Return-Path, X-Original-To,
// Authentication-Results, ARC-*, a DKIM signature added downstream), so a key of the whole
// source made each copy a request of its own: its signers invited twice (fuzz review M1).
// Pure: the raw source in, the key out.
import { createHash } from 'node:crypto';

/** The fields a sender writes and no server on the way rewrites. */
const WRITTEN_FIELDS: ReadonlySet<string> = new Set(['from', 'sender', 'reply-to', 'to', 'cc', 'date', 'subject', 'message-id', 'in-reply-to', 'references', 'content-type', 'mime-version']);

/**
 * `<sha256.HEX@signrelay.invalid>` of the written fields (in the order they come, unfolded,
 * their spacing evened) and of the body's bytes as they are.
 */
export function writtenKey(source: Uint8Array): string {
  const bytes = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  const end = headerEnd(bytes);
  const header = bytes.subarray(0, end).toString('latin1');
  const fields = header.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)
    .map((line) => /^([^:\s]+)\s*:(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && WRITTEN_FIELDS.has(match[1]!.toLowerCase()))
    .map((match) => `${match[1]!.toLowerCase()}:${match[2]!.replace(/\s+/g, ' ').trim()}`);
  const hash = createHash('sha256').update(JSON.stringify(fields)).update(bytes.subarray(end));
  return `<sha256.${hash.digest('hex')}@signrelay.invalid>`;
}

/** Where the header block ends: after its blank line, else the whole source is header. */
function headerEnd(bytes: Buffer): number {
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return bytes.length;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return crlf + 4;
  return lf + 2;
}
