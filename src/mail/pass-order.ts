// Which of a folder's mails one pass hands over, and in what order — pure. Each sender's
// mails in the order they came (UID); the senders taken in turn; at most `perSender` of
// each, the rest left for when those are handed over and the folder is listed again (so a
// mail that arrived meanwhile joins the turn: watch-pass.ts). One sender's hundred mails — a flow gone
// wild, a colleague's From forged on a slow PDF each — no longer hold everyone else's mail
// back until the last of them is done. (Senders as written in the envelope: what this
// orders by is not trusted for anything else. A flood forging many addresses is stopped by
// intake.authentication, not here.)

export interface ListedMail {
  uid: number;
  envelope?: { from?: Array<{ address?: string | undefined }> | undefined } | undefined;
}

/** The mails in the order to hand them over, and whether some were left for the next listing. */
export function passOrder<T extends ListedMail>(due: readonly T[], perSender: number): { queue: T[]; more: boolean } {
  const bySender = new Map<string, T[]>();
  for (const mail of [...due].sort((a, b) => a.uid - b.uid)) {
    const sender = (mail.envelope?.from?.[0]?.address ?? '').toLowerCase();
    const mails = bySender.get(sender);
    if (mails) mails.push(mail);
    else bySender.set(sender, [mail]);
  }
  const groups = [...bySender.values()];
  const queue: T[] = [];
  for (let turn = 0; turn < perSender; turn++) {
    for (const mails of groups) if (turn < mails.length) queue.push(mails[turn]!);
  }
  return { queue, more: groups.some((mails) => mails.length > perSender) };
}
