// Where a UID means one mail. IMAP promises a UID unique only within one folder of one
// account, for one UIDVALIDITY: the same numbers recur in another folder or another account,
// whose UIDVALIDITY may well be the same (a creation time, or a small counter). So the mail a
// watcher hands over, and what signrelay records about it, is keyed by all three — a watcher
// pointed at another folder or account must not take its mails for ones filed before (they
// were moved to where the old row says, unread). Pure.

/**
 * `imap://USER@HOST/FOLDER;UIDVALIDITY=N` (RFC 5092's spelling, unescaped: a key, not a link).
 * The port is left out: the same store reached over TLS (993 for 143) is the same place.
 */
export function messagePlace(account: { host: string; user: string }, folder: string, uidValidity: string): string {
  return `imap://${account.user}@${account.host}/${folder};UIDVALIDITY=${uidValidity}`;
}

/** The place's prefix before the UIDVALIDITY: what recorded rows of one watched folder share. */
export function placePrefix(account: { host: string; user: string }, folder: string): string {
  return messagePlace(account, folder, '');
}
