// Request mails in, figures out: delivering over LMTP (one at a time, paced), or staged
// and released at once, then waiting for each request's SmartTag/Send at the simulator
// and its latency from delivery. A request that is never sent counts as Infinity (a
// missed figure) and is named: refused (the daemon replied to the requester), or not sent.
import { join } from 'node:path';
import { run } from '../../test/support/dovecot-process.ts';
import { requestMail, REQUEST_ADDRESS, REQUESTER, type CorpusPdf } from './corpus.ts';
import { sleep } from './stats.ts';
import type { BenchWorld } from './world.ts';

export interface Delivered {
  record: string;
  pdf: string;
  /** When LMTP accepted it: Dovecot has stored it. */
  deliveredAt: number;
}

export async function deliverRequest(world: BenchWorld, pdf: CorpusPdf, mail?: { record: string; raw: Buffer }): Promise<Delivered> {
  const record = mail?.record ?? world.newRecord();
  const raw = mail?.raw ?? await requestMail(record, pdf);
  await world.dovecot.deliver(REQUEST_ADDRESS, raw, REQUESTER);
  return { record, pdf: pdf.name, deliveredAt: Date.now() };
}

/** Mails built ahead, so building them costs nothing while the daemon is measured. */
export async function buildMails(world: BenchWorld, pdfs: CorpusPdf[]): Promise<Array<{ record: string; raw: Buffer; pdf: CorpusPdf }>> {
  const mails = [];
  for (const pdf of pdfs) {
    const record = world.newRecord();
    mails.push({ record, raw: await requestMail(record, pdf), pdf });
  }
  return mails;
}

/**
 * Delivers the mails evenly paced at `perSecond`, each on its own schedule (a slow
 * delivery does not delay the next one), and resolves when all are delivered.
 */
export async function deliverPaced(world: BenchWorld, mails: Array<{ record: string; raw: Buffer; pdf: CorpusPdf }>, perSecond: number): Promise<Delivered[]> {
  const start = Date.now() + 50;
  return Promise.all(mails.map(async (mail, i) => {
    await sleep(Math.max(0, start + (i * 1000) / perSecond - Date.now()));
    return deliverRequest(world, mail.pdf, mail);
  }));
}

/** Puts the mails in a folder the daemon does not watch (`Staging`), for releaseStaged. */
export async function stageMails(world: BenchWorld, mails: Array<{ raw: Buffer }>): Promise<void> {
  for (const mail of mails) await world.dovecot.append('sign', 'Staging', mail.raw);
}

/** Moves every staged mail into the INBOX with one `doveadm move`: they appear together. */
export async function releaseStaged(world: BenchWorld): Promise<{ releasedAt: number; movedInMs: number }> {
  const conf = join(world.dovecot.dir, 'dovecot.conf');
  const releasedAt = Date.now();
  await run('doveadm', ['-c', conf, 'move', '-u', 'sign', 'INBOX', 'mailbox', 'Staging', 'all']);
  return { releasedAt, movedInMs: Date.now() - releasedAt };
}

/**
 * Waits until every record was sent, or nothing new was sent for `quietMs` (the daemon
 * is stuck or done with what it will do), or the `deadline` (ms since the epoch) passed;
 * returns the records not sent.
 */
export async function awaitSends(world: BenchWorld, records: string[], quietMs = 30_000, deadline = Number.POSITIVE_INFINITY): Promise<string[]> {
  let lastCount = -1;
  let lastChange = Date.now();
  for (;;) {
    const missing = records.filter((r) => !world.observed.sends.has(r));
    if (missing.length === 0 || Date.now() > deadline) return missing;
    if (missing.length !== lastCount) {
      lastCount = missing.length;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > quietMs) {
      return missing;
    }
    await sleep(25);
  }
}

/** The slowest requests, for a note: "sourcecode113.pdf 5.20s, …". */
export function slowest(delivered: Delivered[], latencies: number[], count = 3): string {
  return delivered.map((d, i) => ({ pdf: d.pdf, ms: latencies[i]! })).sort((a, b) => b.ms - a.ms).slice(0, count)
    .map((x) => `${x.pdf} ${Number.isFinite(x.ms) ? `${(x.ms / 1000).toFixed(2)}s` : 'never'}`).join(', ');
}

/** Delivery → SmartTag/Send received, ms; Infinity for a request never sent. */
export const intakeLatencies = (world: BenchWorld, delivered: Delivered[]) =>
  delivered.map((d) => (world.observed.sends.get(d.record)?.at ?? Number.POSITIVE_INFINITY) - d.deliveredAt);

/** Delivery → the stamped PDF's upload received, ms (the share before the provider is called). */
export function uploadLatencies(world: BenchWorld, delivered: Delivered[]): number[] {
  return delivered.map((d) => {
    const reference = world.observed.sends.get(d.record)?.references[0];
    const doc = reference ? world.ss.documents.get(reference) : undefined;
    const uploadAt = doc ? world.observed.uploads.get(doc.name) : undefined;
    return (uploadAt ?? Number.NaN) - d.deliveredAt;
  });
}

/** Says what became of requests not sent. */
export function describeMissing(world: BenchWorld, missing: string[], within = ''): string {
  if (missing.length === 0) return '';
  const refused = world.observed.repliesToRequester.filter((s) => missing.some((r) => s.includes(r))).length;
  return `${missing.length} not sent${within} (${refused} refused with a reply; e.g. ${missing.slice(0, 3).join(', ')})`;
}
