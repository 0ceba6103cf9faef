// The contract between the IMAP watcher and the code that handles a mail: what a message
// looks like before it is downloaded, and what the handler answers. Its own file so the
// watcher's parts and its callers share it without importing each other.

export interface WatchedMessage {
  /** The watcher name = the key under `mailboxes`, e.g. `requests`. */
  mailbox: string;
  folder: string;
  /**
   * The folder's place: its UIDVALIDITY qualified by the account and folder it belongs to
   * (message-place.ts: `imap://user@host/INBOX;UIDVALIDITY=1733…`): a UID is one mail only
   * within it. What every record of the mail is keyed by, with `mailbox` and `uid`.
   */
  place: string;
  uid: number;
  /** RFC822 size in bytes, known before download: reject oversize mail without fetchSource(). */
  size: number;
  messageId: string | null;
  /** First address of the IMAP ENVELOPE From (the From header as parsed by the server). */
  envelopeFrom?: string;
  /** Downloads the full message. Only valid while the handler runs for this message. */
  fetchSource(): Promise<Buffer>;
  /** Downloads only the header block (e.g. to answer an oversize mail). Same validity. */
  fetchHeaders(): Promise<Buffer>;
  /**
   * Downloads the message without its attachments' bytes (mail-outline.ts): the header, the
   * text parts, and each other part's MIME header with an empty body. A message of one part
   * is downloaded whole. Same validity. `report`: a bounce's outline (mail-outline.ts) — its
   * text parts, its report part and the returned message's header too.
   */
  fetchOutline(options?: { report?: boolean }): Promise<Buffer>;
  /**
   * Downloads the message in pieces, never whole: the outline, with a placeholder (a text no
   * sender can guess) standing in the body of each part that is not text; then, when asked,
   * each such part on its own, decoded. A message of one part is downloaded whole, as its
   * outline. Same validity.
   */
  fetchInParts(): Promise<MessageInParts>;
}

export interface MessageInParts {
  outline: Buffer;
  /** The outline is the whole mail (one part, or nothing to leave out): it need not be downloaded again. */
  whole?: boolean;
  /** Downloads the parts the outline's placeholders stand for: placeholder → the part's decoded bytes. */
  downloadParts(): Promise<Map<string, Buffer>>;
}

/**
 * `moveTo`: the outcome is committed (SQLite) — move the message out of the watched folder.
 * `filedBefore`: the outcome was committed before this call (the mail came back: a crash
 * before its move, or a move cut half-way) — the watcher looks for its copy in `moveTo`
 * first, and expunges the leftover rather than file a second copy.
 * `retryLater`: leave it; the watcher hands it over again after a growing delay.
 */
export type MessageOutcome = { moveTo: string; filedBefore?: boolean } | { retryLater: string };
