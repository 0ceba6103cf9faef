// Which of a folder's mails one pass hands over, and in what order — pure. Each sender's
// mails in the order they came (UID); the senders taken in turn; at most `perSender` of
// each and a few in all, the rest left for when those are handed over and the folder is
// listed again (so a mail that arrived meanwhile joins the turn: watch-pass.ts). One sender's hundred mails — a flow gone
// wild, a colleague's From forged on a slow PDF each — no longer hold everyone else's mail
// back until the last of them is done. In each turn the senders the daemon knows (`known`:
// a request of theirs went out for signing) come first: a flood that forges a new address on
// every mail is one sender per mail, and a requester it buried would otherwise wait for all
// of them. (Senders as written in the envelope: what this orders by is not trusted for
// anything else — a forged known address is still one sender. A flood is stopped by
// intake.authentication, not here.)

export interface ListedMail {
  uid: number;
  envelope?: { from?: Array<{ address?: string | undefined }> | undefined } | undefined;
}

/** The mails in the order to hand them over, and whether some were left for the next listing. */
export function passOrder<T extends ListedMail>(due: readonly T[], perSender: number, known: (sender: string) => boolean = () => false, maxQueue = Number.POSITIVE_INFINITY): { queue: T[]; more: boolean } {
  const bySender = new Map<string, T[]>();
  for (const mail of [...due].sort((a, b) => a.uid - b.uid)) {
    const sender = (mail.envelope?.from?.[0]?.address ?? '').toLowerCase();
    const mails = bySender.get(sender);
    if (mails) mails.push(mail);
    else bySender.set(sender, [mail]);
  }
  // Known senders' groups first, each part in the order its first mail came.
  const entries = [...bySender.entries()];
  const groups = [...entries.filter(([sender]) => sender !== '' && known(sender)), ...entries.filter(([sender]) => sender === '' || !known(sender))].map(([, mails]) => mails);
  const queue: T[] = [];
  for (let turn = 0; turn < perSender; turn++) {
    for (const mails of groups) if (turn < mails.length) queue.push(mails[turn]!);
  }
  // At most maxQueue at once: the folder listed again then lets a mail that came meanwhile —
  // a known sender's — take its turn, whoever else is waiting.
  if (queue.length > maxQueue) return { queue: queue.slice(0, maxQueue), more: true };
  return { queue, more: groups.some((mails) => mails.length > perSender) };
}
