// A certificate (servicenow.attach_certificate) gone from blobs/ never holds the signed copy
// back (diff review 18 M1): the first fix for a missing blob failed the whole delivery on it,
// called it "the signed document" and promised a retry would download it — a retry downloads
// only signed copies, so every retry failed again. Now it is left out, said in the mail's note,
// and the signed copy is delivered; by REST it is recorded refused, the signed copy attached.
// One whose file holds other bytes than its name says is left out the same way; the alert
// says so, where it once read as ServiceNow refusing a permission. A signed copy changed so is
// not mailed to the instance either (it was: only REST uploads were checked).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { listEvents } from '../../src/store/events.ts';
import { getDocuments, getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { waitFor } from '../support/wait-for.ts';
import { providerNotice, recordOf, simulated, useRecordWorld } from './record-world.ts';
import { operatorRetry, sendRequest, type World } from './world.ts';

const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
/** The request's alerts since its last `retry` (the forbidden table's alerts came before). */
const alertsOf = (world: World, id: string) => listEvents(world.daemon!.db, id).filter((e, i, all) => e.detail?.alert !== undefined
  && i > all.findLastIndex((r) => r.kind === 'transition' && r.fromState === 'failed'))
  .map((e) => ({ kind: String(e.detail!.alert), text: String(e.detail!.text) }));

describe('a certificate gone from the blob store, or changed there', () => {
  const getWorld = useRecordWorld({ provider: 'secured-signing', servicenow: { attach_certificate: true } });

  /** Signed, its signed copy and certificate taken, then held at the record (forbidden) while `spoil` does its work on the files. */
  async function signedWithCertificateGone(world: World, record: string, spoil: (path: { certificate: string; signed: string }) => void = (path) => rmSync(path.certificate)) {
    world.servicenow.forbidTable('sc_req_item');
    const { request } = await sendRequest(world, record);
    await world.signing.signAll(simulated(world, request));
    await providerNotice(world, request.token, 'contract has been signed');
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'failed', { what: 'the delivery to fail on the forbidden table' });
    const document = getDocuments(world.daemon!.db, request.id)[0]!;
    spoil({ certificate: world.daemon!.blobs.pathOf((document.certificate as { sha256: string }).sha256), signed: world.daemon!.blobs.pathOf(document.signedSha256!) });
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
    expect(alertsOf(world, request.id).map((a) => a.kind)).toEqual(['certificate']);
  });

  it('by REST: recorded refused with what to do, the signed copy attached', async () => {
    const world = getWorld();
    const request = await signedWithCertificateGone(world, 'RITM0010002');
    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { what: 'the retried request delivered' });
    expect(recordOf(world, 'RITM0010002').attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
    const refused = listEvents(world.daemon!.db, request.id).find((e) => e.detail?.effect === 'certificate-1' && e.detail?.phase === 'refused');
    expect(String(refused?.detail?.error)).toMatch(/^the certificate .* is missing from the data dir's blobs\/ .*: it is left out \(take it from the provider by hand\)/);
    expect(alertsOf(world, request.id)).toEqual([expect.objectContaining({ kind: 'certificate' })]);
    expect(alertsOf(world, request.id)[0]!.text).toMatch(/is missing from the data dir's blobs\/.*: it is left out \(take it from the provider by hand\)/);
  });

  it('by REST, one changed on disk: left out the same way, and the alert says so — not that ServiceNow refused it', async () => {
    const world = getWorld();
    const request = await signedWithCertificateGone(world, 'RITM0010003', (path) => writeFileSync(path.certificate, 'not the certificate'));
    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { what: 'the retried request delivered' });
    expect(recordOf(world, 'RITM0010003').attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
    const alerts = alertsOf(world, request.id);
    expect(alerts.map((a) => a.kind)).toEqual(['certificate']);
    expect(alerts[0]!.text).toMatch(/is not the file signrelay stored under that name: .*it is left out \(take it from the provider by hand\)/);
    expect(alerts[0]!.text).not.toContain('ServiceNow refused');
  });

  it('by inbound email, one changed on disk: left out, said in the note and an alert, the signed copy delivered', async () => {
    const world = getWorld();
    const request = await signedWithCertificateGone(world, 'RITM0010004', (path) => writeFileSync(path.certificate, 'not the certificate'));
    world.daemon!.db.prepare("UPDATE requests SET route = 'mail' WHERE id = ?").run(request.id);
    const before = world.smtp.messages.length;
    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { what: 'the retried request delivered' });
    const mailed = world.smtp.messages.slice(before).filter((m) => m.envelope.rcptTo.some((r) => /instance/.test(r.address)));
    const parsed = await simpleParser(mailed.at(-1)!.raw);
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['contract-signed.pdf']);
    expect(parsed.text).toContain('not attached, its file in signrelay\'s store is damaged; the provider keeps it');
    expect(alertsOf(world, request.id).map((a) => a.kind)).toEqual(['certificate']);
  });

  it('by inbound email, a signed copy changed on disk is not mailed: the delivery fails saying what to do, and a retry once it is moved aside downloads it again', async () => {
    const world = getWorld();
    let signedPath = '';
    const request = await signedWithCertificateGone(world, 'RITM0010005', (path) => {
      signedPath = path.signed;
      const bytes = Buffer.from(readFileSync(path.signed));
      bytes[bytes.length - 20]! ^= 0x01;
      writeFileSync(path.signed, bytes);
    });
    world.daemon!.db.prepare("UPDATE requests SET route = 'mail' WHERE id = ?").run(request.id);
    const before = world.smtp.messages.length;
    const failedBefore = listEvents(world.daemon!.db, request.id).filter((e) => e.kind === 'transition' && e.toState === 'failed').length;
    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => listEvents(world.daemon!.db, request.id).filter((e) => e.kind === 'transition' && e.toState === 'failed').length > failedBefore,
      { what: 'the retried delivery to fail on the changed file' });
    expect(world.smtp.messages.slice(before).filter((m) => m.envelope.rcptTo.some((r) => /instance/.test(r.address)))).toEqual([]);
    expect(listEvents(world.daemon!.db, request.id).filter((e) => e.detail?.effect === 'inbound-email')).toEqual([]);
    expect(getRequest(world.daemon!.db, request.id)!.reason).toMatch(/the signed document .* is not the file signrelay stored under that name: .*It was not attached\. Move that file out of blobs\//);

    rmSync(signedPath);
    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { what: 'the request delivered after the retry' });
    const mailed = world.smtp.messages.slice(before).filter((m) => m.envelope.rcptTo.some((r) => /instance/.test(r.address)));
    expect(mailed).toHaveLength(1);
  });
});
