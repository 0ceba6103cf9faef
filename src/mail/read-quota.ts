// Asks the IMAP server how full the account is (GETQUOTAROOT of a folder, through imapflow's
// getQuota), only where it offers QUOTA: one command, for `check` and, every few minutes, for
// each watcher. Never throws for a refused or odd answer — a failing quota read must not
// break what asked for it.
import type { ImapFlow } from 'imapflow';
import { takeServerRefusal } from './imap-client.ts';
import type { Guard } from './imap-guard.ts';
import { fullestQuota, quotaUsageOf, type QuotaLine, type QuotaUsage } from '../mail-quota.ts';

/** `unsupported`: the server offers no QUOTA; `unknown`: it does, but gave no limit (or refused). */
export type QuotaReading = { kind: 'usage'; usage: QuotaUsage } | { kind: 'unsupported' } | { kind: 'unknown' };

const passThrough: Guard = (operation) => operation;

interface Untagged { attributes?: Array<{ value?: unknown } | Array<{ value?: unknown }>> }
type UntaggedHandler = (untagged: Untagged) => Promise<void>;
type Exec = (command: string, attributes: unknown, options?: { untagged?: Record<string, UntaggedHandler> }) => Promise<unknown>;

/** `* QUOTA root (NAME usage limit …)` as imapflow parsed it. */
function quotaLineOf(untagged: Untagged): QuotaLine {
  const [rootAttribute, list] = untagged.attributes ?? [];
  const root = rootAttribute && !Array.isArray(rootAttribute) && typeof rootAttribute.value === 'string' && rootAttribute.value ? rootAttribute.value : null;
  return { root, values: Array.isArray(list) ? list.map((a) => a?.value) : [] };
}

/**
 * imapflow's getQuota keeps one root and writes every QUOTA response over the last, so an
 * account under a User quota and a larger Domain quota read as the domain's (diff review 26
 * M1). Its command still runs (breaking IDLE and queueing as every command does), but each
 * QUOTA response it is sent is seen here too, through the command's own untagged handler.
 */
async function getQuotaSeeingEveryRoot(client: ImapFlow, folder: string, guard: Guard): Promise<{ answer: Awaited<ReturnType<ImapFlow['getQuota']>>; lines: QuotaLine[] }> {
  const lines: QuotaLine[] = [];
  const target = client as unknown as { exec: Exec };
  const exec = target.exec;
  const hadOwn = Object.hasOwn(target, 'exec');
  target.exec = function (this: unknown, command, attributes, options) {
    const theirs = options?.untagged?.QUOTA;
    if ((command === 'GETQUOTAROOT' || command === 'GETQUOTA') && theirs) {
      options = { ...options, untagged: { ...options!.untagged, QUOTA: async (untagged) => { lines.push(quotaLineOf(untagged)); await theirs(untagged); } } };
    }
    return exec.call(this, command, attributes, options);
  };
  try {
    return { answer: await guard(client.getQuota(folder)), lines };
  } finally {
    if (hadOwn) target.exec = exec;
    else delete (target as Partial<typeof target>).exec;
  }
}

/** Rejects only when the connection went away (guard's own error); every other failure is `unknown`. */
export async function readQuota(client: ImapFlow, folder: string, guard: Guard = passThrough): Promise<QuotaReading> {
  if (!client.capabilities.has('QUOTA')) return { kind: 'unsupported' };
  try {
    // imapflow answers a refused GETQUOTAROOT with false; the refusal it noted is no later command's reason.
    const { answer, lines } = await getQuotaSeeingEveryRoot(client, folder, guard);
    takeServerRefusal(client);
    if (!answer) return { kind: 'unknown' };
    // Every root's every limit, the fullest judged; imapflow's answer only if its command went unseen.
    const usage = lines.length ? fullestQuota(lines) : quotaUsageOf(answer);
    return usage ? { kind: 'usage', usage } : { kind: 'unknown' };
  } catch (err) {
    if (!client.usable) throw err;
    return { kind: 'unknown' };
  }
}
