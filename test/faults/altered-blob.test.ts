// A PDF in blobs/ that no longer holds what its name (its SHA-256) says — a damaged disk,
// another blobs/ restored, someone with the service user's access (audit review L3). Before,
// the upload streamed whatever was there: the signers got another file than the request's
// stamped_sha256, and the trail's `upload done` read as if the recorded copy went out. Now the
// bytes are hashed as they are sent, the call fails before the file's end reached the service
// (nothing stored there), the upload is recorded as failed, and the request fails naming the
// file and what the operator can do; the same for the signed copy's attachment to the record.
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { listEvents } from '../../src/store/events.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getDocuments, getRequest, listRequests } from '../../src/store/requests.ts';
import { buildMail, contractPdf, operatorRetry, sendRequest, useWorld, type World } from '../integration/world.ts';
import { waitUntil } from '../support/wait-for-event.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
const alertTexts = (world: World, id: string) =>
  (world.daemon!.db.prepare("SELECT json_extract(detail, '$.text') AS text FROM events WHERE request_id = ? AND json_extract(detail, '$.alert') IS NOT NULL").all(id) as Array<{ text: string }>).map((r) => r.text);
const effects = (world: World, id: string, name: string) =>
  listEvents(world.daemon!.db, id).filter((e) => e.kind === 'effect' && e.detail?.effect === name).map((e) => ({ phase: e.detail!.phase, code: e.detail!.error ?? e.detail!.code }));

/** A request whose first upload the provider refused (503, asked again in an hour): its stamped copy is in blobs/, not sent. */
async function requestWaitingToUpload(world: World, record: string, refuseUpload: () => void) {
  const db = world.daemon!.db;
  refuseUpload();
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: `Contract for ${record}`, text: 'Signer: Ann Lee <ann.lee@example.com>', attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  return waitUntil(world.daemon!.events, () => {
    const request = listRequests(db, { state: 'stamped' }).find((r) => r.recordNumber === record);
    const job = request && jobsForRequest(db, request.id).find((j) => j.kind === 'submit' && j.state === 'pending' && j.attempts === 1);
    return request && job ? { request, job } : undefined;
  }, { what: 'the refused upload to wait for its retry' });
}

for (const provider of ['secured-signing', 'signicat'] as const) {
  describe(`a stamped PDF changed in blobs/ before its upload (${provider})`, () => {
    const getWorld = useWorld({ provider });

    it('is not sent: the upload fails before the file\'s end, is recorded as failed, and the alert says what to do', async () => {
      const world = getWorld();
      const db = world.daemon!.db;
      const refuse = () => (provider === 'signicat'
        ? (world.signing as { signicat?: SignicatSimulator }).signicat!.failNext('/documents', { status: 503, retryAfter: 3600 })
        : world.simulator.failNext('/Document/Uploader', { status: 503, retryAfter: 3600 }));
      const { request, job } = await requestWaitingToUpload(world, 'RITM0010001', refuse);
      const stamped = getDocuments(db, request.id)[0]!.stampedSha256!;
      const path = world.daemon!.blobs.pathOf(stamped);
      const made = readFileSync(path);
      // Bytes after %%EOF, which PDF readers ignore: the signers would see nothing amiss.
      appendFileSync(path, '\n% not the stamped copy signrelay made\n');
      const onDisk = readFileSync(path);
      db.prepare('UPDATE jobs SET run_at = ? WHERE id = ?').run(new Date().toISOString(), job.id);
      world.daemon!.jobs.poke();
      await waitUntil(world.daemon!.events, () => ['failed', 'sent'].includes(stateOf(world, request.id)!), { what: 'the upload\'s outcome' });
      expect(stateOf(world, request.id)).toBe('failed');
      expect(world.signing.counts().uploads).toBe(0);
      expect(effects(world, request.id, 'upload')).toEqual([
        { phase: 'intent', code: undefined }, { phase: 'intent', code: undefined }, { phase: 'failed', code: 'blob_altered' },
      ]);
      expect(getDocuments(db, request.id)[0]!.stampedSha256).toBe(stamped);
      const reason = getRequest(db, request.id)!.reason!;
      expect(reason).toContain(`the stamped PDF ${path} is not the file signrelay stored under that name: it holds ${onDisk.length} bytes with SHA-256 ${sha256(onDisk)}`);
      expect(reason).toMatch(/It was not sent: .*Copy that file back from a backup of the data dir's blobs\/ .* and `.*retry r_\w+`, or ask helen\.officer@corp\.example to send the mail again/);
      expect(alertTexts(world, request.id).join('\n')).toContain('A retry cannot send it as it is: restore the stamped PDF from a backup of blobs/, or have the request mailed again.');

      // Restored from a backup, the retry sends the very file the request records.
      writeFileSync(path, made);
      operatorRetry(world, request.id);
      await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'sent', { what: 'the retried request sent' });
      expect(world.signing.counts().uploads).toBe(1);
      if (provider === 'secured-signing') {
        expect(sha256(world.simulator.documents.get(getDocuments(db, request.id)[0]!.providerRef!)!.bytes)).toBe(stamped);
      }
      expect(effects(world, request.id, 'upload').at(-1)).toEqual({ phase: 'done', code: undefined });
    });
  });
}

describe('a signed copy changed in blobs/ before it is attached to the record', () => {
  const getWorld = useWorld();

  it('is not attached; the attachment is recorded as failed; once the file is moved aside, a retry downloads the signed copy again and attaches it', async () => {
    const world = getWorld();
    const db = world.daemon!.db;
    world.servicenow.forbidTable('sc_req_item');
    const { request, reference } = await sendRequest(world, 'RITM0010002');
    await world.simulator.complete(reference);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'failed', { what: 'the delivery to fail on the forbidden table' });
    const signed = getDocuments(db, request.id)[0]!.signedSha256!;
    const path = world.daemon!.blobs.pathOf(signed);
    const onDisk = Buffer.from(readFileSync(path));
    onDisk[onDisk.length - 20]! ^= 0x01;
    writeFileSync(path, onDisk);
    world.servicenow.allowTable('sc_req_item');

    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'failed' && jobsForRequest(db, request.id).every((j) => j.state !== 'pending' || j.kind !== 'complete'),
      { what: 'the retried delivery to fail on the changed file' });
    const record = world.servicenow.records.find((r) => r.number === 'RITM0010002')!;
    expect(record.attachments).toEqual([]);
    expect(effects(world, request.id, 'attach-1')).toEqual([{ phase: 'intent', code: undefined }, { phase: 'failed', code: 'blob_altered' }]);
    const reason = getRequest(db, request.id)!.reason!;
    expect(reason).toContain(`the signed document ${path} is not the file signrelay stored under that name: it holds ${onDisk.length} bytes with SHA-256 ${sha256(onDisk)}`);
    expect(reason).toMatch(/It was not attached\. Move that file out of blobs\/ .* and `.*retry r_\w+`: it downloads the signed document again from the provider/);
    expect(alertTexts(world, request.id).join('\n')).toMatch(/Once the damaged file is out of blobs\/, `.*retry r_\w+` downloads the signed document again from the provider\./);

    renameSync(path, `${path}.damaged`);
    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { what: 'the retried request delivered' });
    expect(record.attachments.map((a) => sha256(a.bytes))).toEqual([signed]);
  });
});
