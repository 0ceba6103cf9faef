// The completion side: the signer signs a sent request at the simulator, which mails the
// completed document to returns+TOKEN@… (through the relay into Dovecot); the latency is
// from that mail's delivery into Dovecot to the attachment's answer at ServiceNow.
import { sleep } from './stats.ts';
import type { BenchWorld } from './world.ts';

export interface Completion {
  record: string;
  /** Delivered → attachment created, ms; Infinity when none came. */
  latency: number;
  /** Delivered → the signed copy's download requested at the provider, ms. */
  download: number;
}

/** Signs the record's document and waits (up to `timeoutMs`) for its attachment. */
export async function signAndAwait(world: BenchWorld, record: string, timeoutMs = 60_000): Promise<Completion> {
  const reference = world.observed.sends.get(record)?.references[0];
  if (!reference) throw new Error(`${record} was never sent: nothing to sign`);
  const returnAddress = world.ss.documents.get(reference)?.tags.recipients[0]?.email.toLowerCase() ?? '';
  await world.ss.complete(reference);
  const deliveredAt = world.observed.completionsDelivered.get(returnAddress) ?? Number.NaN;
  const deadline = Date.now() + timeoutMs;
  while (!world.observed.attachments.has(record) && Date.now() < deadline) await sleep(20);
  return {
    record,
    latency: (world.observed.attachments.get(record) ?? Number.POSITIVE_INFINITY) - deliveredAt,
    download: (world.observed.downloads.get(reference) ?? Number.NaN) - deliveredAt,
  };
}
