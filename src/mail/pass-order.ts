// Which of a folder's mails a listing hands over, and in what order — pure. Each sender's
// mails in the order they came (UID); the senders taken turn by turn, a sender's turn going
// on from the mails it had handed over earlier in the pass (watch-pass.ts counts them), so
// listing the folder again does not start everyone afresh; at most `perSender` of one
// sender and `maxQueue` in all, the rest left for the next listing (where a mail that came
// meanwhile takes its turn). One sender's hundred mails — a flow gone wild, a colleague's
// From forged on a slow PDF each — no longer hold everyone else's mail back until the last
// of them is done. In each turn the senders the daemon knows (`known`: a request of theirs
// went out for signing) come first: a flood that forges a new address on every mail is one
// sender per mail, and a requester it buried would otherwise wait for all of them. (Senders
// as written in the envelope: what this orders by is not trusted for anything else — a
// forged known address is still one sender. A flood is stopped by intake.authentication.)

import { mailboxKey } from '../ascii-address.ts';

export interface ListedMail {
  uid: number;
  envelope?: { from?: Array<{ address?: string | undefined }> | undefined } | undefined;
}

/** The sender a mail is ordered by: its envelope's first From, as a mailbox (mailboxKey: case and `+tag` aside; '' for none). */
export const senderOf = (mail: ListedMail): string => {
  const address = mail.envelope?.from?.[0]?.address;
  return address ? mailboxKey(address) : '';
};

export interface PassOrderOptions {
  /** Mails of one sender in one listing, at most. */
  perSender: number;
  /** Mails in one listing, at most (the folder is listed again for the rest). */
  maxQueue?: number;
  /** Senders to take first in each turn. */
  known?: (sender: string) => boolean;
  /** How many of the sender's mails this pass handed over already: its turn goes on from there. */
  handed?: (sender: string) => number;
}

/**
 * The mails in the order to hand them over, and whether some were left for the next listing.
 * Each sender's mails in the order they came; across senders, turn by turn — a sender's
 * next mail comes in the turn after as many mails as it had handed over this pass — and in
 * each turn the known senders first, then the others in the order their first mail came.
 */
export function passOrder<T extends ListedMail>(due: readonly T[], options: PassOrderOptions): { queue: T[]; more: boolean } {
  const { perSender, maxQueue = Number.POSITIVE_INFINITY, known = () => false, handed = () => 0 } = options;
  const bySender = new Map<string, T[]>();
  for (const mail of [...due].sort((a, b) => a.uid - b.uid)) {
    const sender = senderOf(mail);
    const mails = bySender.get(sender);
    if (mails) mails.push(mail);
    else bySender.set(sender, [mail]);
  }
  const ranked = [...bySender.entries()].flatMap(([sender, mails], group) => mails.slice(0, perSender).map((mail, i) => ({
    mail, turn: handed(sender) + i, known: sender !== '' && known(sender), group,
  })));
  ranked.sort((a, b) => a.turn - b.turn || Number(b.known) - Number(a.known) || a.group - b.group);
  const queue = ranked.map((r) => r.mail);
  // At most maxQueue at once: the folder listed again then lets a mail that came meanwhile
  // take its turn, whoever else is waiting.
  if (queue.length > maxQueue) return { queue: queue.slice(0, maxQueue), more: true };
  return { queue, more: [...bySender.values()].some((mails) => mails.length > perSender) };
}
