// The signed copy from the provider is stored as it arrives, and no further than
// SIGNED_COPY_GROWTH × limits.max_pdf_bytes (fault review F4): a body without end that starts
// like a PDF (a provider's fault, a proxy's) filled the data directory for the whole of the
// call's timeout, twelve times over, and would have been attached to the record.
import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createCompleteHandler, SIGNED_COPY_GROWTH } from '../../src/completion/complete-request.ts';
import type { ServiceNowApi } from '../../src/completion/deliver-to-servicenow.ts';
import type { MailSender } from '../../src/jobs/send-mail.ts';
import { silentLogger } from '../../src/log.ts';
import { queueCompletionTrigger } from '../../src/store/completion-triggers.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getDocuments } from '../../src/store/requests.ts';
import { startSchedulerWorld, type SchedulerWorld } from '../scheduler/scheduler-world.ts';

const SENT_AT = new Date('2030-03-02T09:00:00Z');
let world: SchedulerWorld;
beforeEach(async () => {
  world = await startSchedulerWorld();
});
afterEach(async () => {
  await world.close();
});

it('a signed copy larger than the bound is refused as it arrives: nothing stored, the rest never read, the reason names the setting', async () => {
  const { id, reference } = await world.sentRequest(SENT_AT);
  await world.simulator.complete(reference);
  const config = { ...world.config, limits: { ...world.config.limits, max_pdf_bytes: 1024 * 1024 } };
  let sent = 0;
  const provider = {
    ...world.provider,
    async download() {
      return (async function* endless() {
        yield new TextEncoder().encode('%PDF-1.7\n');
        for (;;) {
          sent += 256 * 1024;
          yield new Uint8Array(256 * 1024);
        }
      })();
    },
  };
  queueCompletionTrigger(world.db, id, [], SENT_AT);
  const handler = createCompleteHandler({
    db: world.db, blobs: world.blobs, config, provider,
    servicenow: { findRecord: () => Promise.reject(new Error('not reached')) } as unknown as ServiceNowApi,
    smtp: {} as MailSender, now: () => world.clock.now, logger: silentLogger(),
  });
  const job = jobsForRequest(world.db, id).filter((j) => j.kind === 'complete').at(-1)!;
  const err = await handler.run(job).then(() => undefined, (e: unknown) => e);
  expect(err).toMatchObject({ kind: 'permanent', code: 'signed_too_large' });
  expect(String((err as Error).message)).toMatch(/larger than 4 MB \(4 × limits\.max_pdf_bytes\): not stored/);
  expect(SIGNED_COPY_GROWTH).toBe(4);
  expect(sent).toBeLessThanOrEqual(SIGNED_COPY_GROWTH * 1024 * 1024 + 256 * 1024);
  expect(getDocuments(world.db, id)[0]!.signedSha256).toBeNull();
  // No temporary file left behind in the blob store.
  const leftovers = readdirSync(world.blobs.dir, { recursive: true }).map(String).filter((name) => /incoming/.test(name));
  expect(leftovers).toEqual([]);
});
