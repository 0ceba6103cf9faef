// A certificate (servicenow.attach_certificate) gone from blobs/ never holds the signed copy
// back (diff review 18 M1): the first fix for a missing blob failed the whole delivery on it,
// called it "the signed document" and promised a retry would download it — a retry downloads
// only signed copies, so every retry failed again. Now it is left out, said in the mail's note,
// and the signed copy is delivered; by REST it is recorded refused, the signed copy attached.
import { rmSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { listEvents } from '../../src/store/events.ts';
import { getDocuments, getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { waitFor } from '../support/wait-for.ts';
import { providerNotice, recordOf, simulated, useRecordWorld } from './record-world.ts';
import { operatorRetry, sendRequest, type World } from './world.ts';

const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;

describe('a certificate gone from the blob store', () => {
  const getWorld = useRecordWorld({ provider: 'secured-signing', servicenow: { attach_certificate: true } });

  /** Signed, its signed copy and certificate taken, then held at the record (forbidden) while the certificate's file goes. */
  async function signedWithCertificateGone(world: World, record: string) {
    world.servicenow.forbidTable('sc_req_item');
    const { request } = await sendRequest(world, record);
    await world.signing.signAll(simulated(world, request));
    await providerNotice(world, request.token, 'contract has been signed');
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'failed', { what: 'the delivery to fail on the forbidden table' });
    const certificate = (getDocuments(world.daemon!.db, request.id)[0]!.certificate as { sha256: string }).sha256;
    rmSync(world.daemon!.blobs.pathOf(certificate));
    world.servicenow.allowTable('sc_req_item');
    return request;
  }

  it('by inbound email: left out, said in the note, and the signed copy delivered at the retry', async () => {
    const world = getWorld();
    const request = await signedWithCertificateGone(world, 'RITM0010001');
    // Delivered by the instance's inbound email from now on, as the route of sign+mail@ requests does.
    world.daemon!.db.prepare("UPDATE requests SET route = 'mail' WHERE id = ?").run(request.id);
    const before = world.smtp.messages.length;
    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { what: 'the retried request delivered' });
    await waitFor(() => recordOf(world, 'RITM0010001').attachments.length === 1, { what: 'the signed copy on the record' });
    const mailed = world.smtp.messages.slice(before).filter((m) => m.envelope.rcptTo.some((r) => /instance/.test(r.address)));
    const parsed = await simpleParser(mailed.at(-1)!.raw);
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['contract-signed.pdf']);
    expect(parsed.text).toContain('not attached, its file is gone from signrelay\'s store; the provider keeps it');
  });

  it('by REST: recorded refused with what to do, the signed copy attached', async () => {
    const world = getWorld();
    const request = await signedWithCertificateGone(world, 'RITM0010002');
    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { what: 'the retried request delivered' });
    expect(recordOf(world, 'RITM0010002').attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
    const refused = listEvents(world.daemon!.db, request.id).find((e) => e.detail?.effect === 'certificate-1' && e.detail?.phase === 'refused');
    expect(String(refused?.detail?.error)).toMatch(/^the certificate .* is missing from the data dir's blobs\/ .*: it is left out \(take it from the provider by hand\)/);
  });
});
