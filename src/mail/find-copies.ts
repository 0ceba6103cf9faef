// Which mails already have their copy in a folder. A server stopped half-way through a MOVE
// (the copy made, the original not yet expunged) leaves a mail in the watched folder that is
// filed already; moving it again would leave two copies in the target. A copy is the same
// Message-ID with the same size, INTERNALDATE and header block, byte for byte (COPY and MOVE
// keep all three): a second delivery of one mail has its own arrival time and its own
// Received/Delivered-To lines, so it is not taken for the first one's copy.
import type { ImapFlow } from 'imapflow';
import type { Guard } from './imap-guard.ts';

export interface CopyWanted {
  uid: number;
  messageId: string;
  size: number;
  internalDate: Date;
  /** The header block as the server keeps it (BODY[HEADER]). */
  headers: Buffer;
}

/**
 * The UIDs (of the watched folder) whose copy `folder` holds; each copy answers for one mail
 * only. Leaves `folder` selected read-only: the caller selects its own folder again. A folder
 * that does not exist holds no copy.
 */
export async function findCopies(client: ImapFlow, guard: Guard, folder: string, wanted: readonly CopyWanted[]): Promise<Set<number>> {
  const found = new Set<number>();
  let lock: Awaited<ReturnType<ImapFlow['getMailboxLock']>>;
  try {
    lock = await guard(client.getMailboxLock(folder, { readOnly: true }));
  } catch (err) {
    if (!client.usable) throw err;
    return found;
  }
  try {
    const claimed = new Set<number>();
    for (const mail of wanted) {
      const copies = await candidates(client, guard, mail.messageId);
      const copy = copies.find((c) => !claimed.has(c.uid) && isCopyOf(c, mail));
      if (!copy) continue;
      claimed.add(copy.uid);
      found.add(mail.uid);
    }
  } finally {
    lock.release();
  }
  return found;
}

/**
 * The mails in the selected folder under this Message-ID. The Message-ID is the sender's
 * text: one the server cannot search for (it refused the SEARCH) has no copy found, and the
 * mail is moved as before — a second copy at worst, never a watcher stuck on one mail.
 */
async function candidates(client: ImapFlow, guard: Guard, messageId: string) {
  try {
    const hits = await guard(client.search({ header: { 'message-id': messageId } }, { uid: true }));
    if (!hits || hits.length === 0) return [];
    return await guard(client.fetchAll(hits, { uid: true, size: true, internalDate: true, envelope: true, headers: true }, { uid: true }));
  } catch (err) {
    if (!client.usable) throw err;
    return [];
  }
}

function isCopyOf(copy: { size?: number; internalDate?: Date | string; envelope?: { messageId?: string }; headers?: Buffer }, mail: CopyWanted): boolean {
  const at = copy.internalDate === undefined ? NaN : new Date(copy.internalDate).getTime();
  return copy.envelope?.messageId === mail.messageId && copy.size === mail.size && at === mail.internalDate.getTime() &&
    copy.headers !== undefined && copy.headers.equals(mail.headers);
}
