// The alert for an IMAP account at or past its quota's warning threshold, or one whose server
// refused to file a mail for its quota (OVERQUOTA): near its quota the server bounces the
// larger request mails to their requesters, at it every one, and signrelay sees none of them — nothing else would tell the
// operators until the requesters complain (quota review H1, L1). Once a day per account and
// level while it lasts; the step from nearly full to full is told at once.
import { DAY_MS } from '../time.ts';
import { describeQuota, quotaConsequence, quotaFix, quotaLevel, quotaPercent, quotaRatio, type QuotaUsage } from '../mail-quota.ts';
import { alertRaisedSince, raiseAlert, type Alert, type AlertDeps } from './raise-alert.ts';

export type MailboxFullCause =
  | { kind: 'quota'; usage: QuotaUsage }
  /** A mail the server would not file for the quota: the watcher's error message, which quotes the server. */
  | { kind: 'refused'; error: string };

/** The alert, or null for an account below the warning threshold. Pure. */
export function mailboxFullAlert(account: string, folders: readonly string[], cause: MailboxFullCause): Alert | null {
  const level = cause.kind === 'refused' ? 'full' : quotaLevel(cause.usage);
  if (level === 'ok') return null;
  const how = cause.kind === 'quota'
    ? `is ${quotaPercent(cause.usage)} % full (${describeQuota(cause.usage)}, as its server reports it)`
    : `is over its quota: the server refused to file a mail signrelay handled —\n${cause.error}`;
  return {
    kind: 'mailbox-full',
    subject: `the IMAP account ${account} is ${level === 'full' ? 'full' : 'nearly full'}`,
    text: `The IMAP account ${account} ${how}.\n\nWhat it means: ${quotaConsequence(cause.kind === 'refused' ? 1 : quotaRatio(cause.usage))}. ` +
      `Bounces of signrelay's own mail (its envelope sender is this account) are refused as well, so signrelay no longer hears of a record mail or an alert that did not arrive.\n\n` +
      `What to do: ${quotaFix(folders)}. Expire the oldest first, and keep what your organisation's retention rules ask for (a mail in a folder of refused or unmatched mail is read again when moved back to the folder it came from).`,
  };
}

/** Raises it unless an alert of the same account and level was raised within the day. Returns whether it was raised. */
export function raiseMailboxFullAlert(deps: AlertDeps, alert: Alert): boolean {
  const at = deps.now();
  if (alertRaisedSince(deps.db, alert.kind, alert.subject, new Date(at.getTime() - DAY_MS))) return false;
  raiseAlert(deps, alert);
  return true;
}
