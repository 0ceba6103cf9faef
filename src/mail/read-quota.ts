// Asks the IMAP server how full the account is (GETQUOTAROOT of a folder, imapflow's
// getQuota), only where it offers QUOTA: one command, for `check` and, every few minutes, for
// each watcher. Never throws for a refused or odd answer — a failing quota read must not
// break what asked for it.
import type { ImapFlow } from 'imapflow';
import { takeServerRefusal } from './imap-client.ts';
import type { Guard } from './imap-guard.ts';
import { quotaUsageOf, type QuotaUsage } from '../mail-quota.ts';

/** `unsupported`: the server offers no QUOTA; `unknown`: it does, but gave no storage limit (or refused). */
export type QuotaReading = { kind: 'usage'; usage: QuotaUsage } | { kind: 'unsupported' } | { kind: 'unknown' };

const passThrough: Guard = (operation) => operation;

/** Rejects only when the connection went away (guard's own error); every other failure is `unknown`. */
export async function readQuota(client: ImapFlow, folder: string, guard: Guard = passThrough): Promise<QuotaReading> {
  if (!client.capabilities.has('QUOTA')) return { kind: 'unsupported' };
  try {
    // imapflow answers a refused GETQUOTAROOT with false; the refusal it noted is no later command's reason.
    const answer = await guard(client.getQuota(folder));
    takeServerRefusal(client);
    const usage = quotaUsageOf(answer);
    return usage ? { kind: 'usage', usage } : { kind: 'unknown' };
  } catch (err) {
    if (!client.usable) throw err;
    return { kind: 'unknown' };
  }
}
