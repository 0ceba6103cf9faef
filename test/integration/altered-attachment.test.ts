// The instance (or a proxy or scanner in front of it) stores the signed copy other than it
// was sent: the file on the record is not the signed document, and nothing signrelay leaves
// may say it is (audit review H1). signrelay only logged a warning, and the request went on
// to `delivered`, the note "attached by signrelay", the status field `signed`, no alert, and
// the trail's `done` carried the instance's hash as if it were the file's. Now the delivery
// fails with both hashes in the trail and an alert saying what to do; nothing is uploaded
// again by itself (each try would leave one more such file on the record).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listEvents } from '../../src/store/events.ts';
import { getDocuments, getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { ALERTS_TO, sendRequest, type World } from './world.ts';
import { notesOf, providerNotice, recordOf, simulated, statusOf, useRecordWorld } from './record-world.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The instance stores the files `which` picks cut short by their last 100 bytes, as a proxy that truncates bodies would leave them. */
function cutShortOnStore(world: World, which: (fileName: string) => boolean): void {
  const store = world.servicenow.attachments;
  const set = store.set.bind(store);
  store.set = (key, a) => {
    if (which(a.fileName)) {
      a.bytes = a.bytes.subarray(0, a.bytes.length - 100);
      a.sizeBytes = a.bytes.length;
      a.hash = sha256(a.bytes);
    }
    return set(key, a);
  };
}

describe('a signed copy the instance stored other than it was sent', () => {
  const getWorld = useRecordWorld();

  it('fails the delivery, with both hashes in the trail and an alert naming the attachment to delete', async () => {
    const world = getWorld();
    cutShortOnStore(world, (fileName) => fileName.endsWith('-signed.pdf'));
    const { request } = await sendRequest(world, 'RITM0010001');
    await world.signing.signAll(simulated(world, request));
    await providerNotice(world, request.token, 'contract has been signed');
    const db = world.daemon!.db;
    const failed = await waitUntil(world.daemon!.events, () => (getRequest(db, request.id)?.state === 'failed' ? getRequest(db, request.id) : undefined),
      { what: 'the delivery failed', describe: () => getRequest(db, request.id)?.state });
    const [doc] = getDocuments(db, request.id);
    const onRecord = recordOf(world, 'RITM0010001').attachments.find((a) => a.fileName === 'contract-signed.pdf')!;
    expect(onRecord.hash).not.toBe(doc!.signedSha256);
    expect(failed.reason).toContain(`with SHA-256 ${onRecord.hash}, but the file signrelay sent has ${doc!.signedSha256}`);

    const attach = listEvents(db, request.id).filter((e) => e.detail?.effect === 'attach-1').map((e) => e.detail);
    expect(attach.map((d) => d!.phase)).toEqual(['intent', 'altered']);
    expect(attach[1]).toMatchObject({ attachment: onRecord.sysId, ours: doc!.signedSha256, instance: onRecord.hash });
    expect(doc!.attachmentSysId).toBeNull();

    const alert = await waitUntil(world.daemon!.events, () => world.smtp.messages.find((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO) && (m.parsed?.text ?? '').includes('is not the signed document')),
      { what: 'the operator alert' });
    expect(alert.parsed?.text).toContain(`Delete that attachment (${onRecord.sysId}) from the record`);
    expect(alert.parsed?.text).toContain(`retry ${request.id}`);
    await world.daemon!.jobs.idle();
    expect(statusOf(world, 'RITM0010001')).not.toBe('signed');
    expect(notesOf(world, 'RITM0010001').some((n) => n.includes('attached by signrelay'))).toBe(false);
    // Uploaded once: no second altered copy beside the first.
    expect(recordOf(world, 'RITM0010001').attachments.filter((a) => a.fileName === 'contract-signed.pdf')).toHaveLength(1);
  });
});

describe('a certificate the instance stored other than it was sent', () => {
  const getWorld = useRecordWorld({ provider: 'secured-signing', servicenow: { attach_certificate: true } });

  it('never holds the signed copy back, and the alert says to fix it by hand — no retry comes for a delivered request (re-read A 6)', async () => {
    const world = getWorld();
    cutShortOnStore(world, (fileName) => !fileName.endsWith('-signed.pdf'));
    const { request } = await sendRequest(world, 'RITM0010002');
    await world.signing.signAll(simulated(world, request));
    await providerNotice(world, request.token, 'contract has been signed');
    const db = world.daemon!.db;
    await waitUntil(world.daemon!.events, () => getRequest(db, request.id)?.state === 'delivered', { what: 'the request delivered', describe: () => getRequest(db, request.id)?.state });
    const alert = listEvents(db, request.id).map((e) => e.detail).find((d) => d?.alert === 'record');
    expect(String(alert?.text)).toContain('so the file on the record is not the certificate');
    expect(String(alert?.text)).toContain('attach the certificate from the provider by hand if the record needs it');
    expect(String(alert?.text)).not.toContain('retry');
  });
});
