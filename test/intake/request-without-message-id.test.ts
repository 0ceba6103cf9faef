// A request mail without a Message-ID, delivered twice (an SMTP retry after a lost answer to
// DATA, two MX hosts, a journaling rule): the copies differ only in the trace lines the
// receiving servers put on top. Known by the hash of its whole source, each copy was a request
// of its own — the signers invited twice on a route without a record, or the sender refused
// "already out for signing" for a mail sent once (fuzz review M1).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { withReplyCommands } from '../../src/conversation/process-reply-mail.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { createRequestMailHandler } from '../../src/intake/process-request-mail.ts';
import { silentLogger } from '../../src/log.ts';
import { writtenKey } from '../../src/message/written-key.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { BlobStore } from '../../src/store/blobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { watched } from '../conversation/sent-request.ts';
import { samplePdf } from './intake-helpers.ts';

function setUp() {
  const base = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
  const routes = { ...base.routes, legal: { ...base.routes.default!, require_record: false } };
  const config = { ...base, routes, storage: { ...base.storage, data_dir: mkdtempSync(join(tmpdir(), 'no-message-id-')) } };
  const db = openDatabase(config.storage.data_dir);
  const deps = { db, blobs: new BlobStore(config.storage.data_dir), config, policy: intakePolicyFrom(config), provider: providerTraits(config.provider), logger: silentLogger(), now: () => new Date('2026-11-03T10:00:00Z') };
  return { db, handle: withReplyCommands(deps, createRequestMailHandler(deps)) };
}

const MX1 = 'Received: from out.corp.example by mx1.corp.example; Tue, 3 Nov 2026 09:00:02 +0000\r\nDelivered-To: sign+legal@corp.example';
const MX2 = 'Received: from out.corp.example by mx2.corp.example; Tue, 3 Nov 2026 09:00:03 +0000\r\nReturn-Path: <ann.lee@corp.example>';

async function mail(trace: string, { to = 'sign+legal@corp.example', subject = 'NDA for the supplier', signer = 'Bob Stone <bob.stone@corp.example>' } = {}): Promise<Buffer> {
  const pdf = (await samplePdf()).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    trace, 'From: Ann Lee <ann.lee@corp.example>', `To: ${to}`, `Subject: ${subject}`, 'Date: Tue, 03 Nov 2026 09:00:00 +0000', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', `Signer: ${signer}`, '',
    '--b', 'Content-Type: application/pdf; name="nda.pdf"', 'Content-Disposition: attachment; filename="nda.pdf"', 'Content-Transfer-Encoding: base64', '', pdf, '--b--', ''].join('\r\n'));
}

const outcomes = (db: ReturnType<typeof setUp>['db']) => db.prepare('SELECT uid, outcome FROM messages ORDER BY uid').all();

describe('a request mail without a Message-ID, delivered twice', () => {
  it('is one request: the copy is filed as a duplicate, one submit job', async () => {
    const { db, handle } = setUp();
    await expect(handle(watched(await mail(MX1), 1))).resolves.toEqual({ moveTo: 'Processed' });
    await expect(handle(watched(await mail(MX2), 2))).resolves.toEqual({ moveTo: 'Processed' });
    expect(outcomes(db)).toEqual([{ uid: 1, outcome: 'request' }, { uid: 2, outcome: 'duplicate' }]);
    expect(db.prepare("SELECT count(*) FROM jobs WHERE kind = 'submit'").pluck().get()).toBe(1);
  });

  it('on a route that needs a record: the copy is a duplicate, not refused as "already out for signing"', async () => {
    const { db, handle } = setUp();
    const spec = { to: 'sign@corp.example', subject: 'Contract for RITM0010001' };
    await handle(watched(await mail(MX1, spec), 1));
    await handle(watched(await mail(MX2, spec), 2));
    expect(outcomes(db)).toEqual([{ uid: 1, outcome: 'request' }, { uid: 2, outcome: 'duplicate' }]);
    expect(db.prepare("SELECT count(*) FROM jobs WHERE kind = 'mail' AND json_extract(payload, '$.purpose') = 'reply'").pluck().get()).toBe(0);
  });

  it('two mails that differ in what their sender wrote are two requests', async () => {
    const { db, handle } = setUp();
    await handle(watched(await mail(MX1), 1));
    await handle(watched(await mail(MX1, { signer: 'Carol King <carol.king@corp.example>' }), 2));
    expect(outcomes(db)).toEqual([{ uid: 1, outcome: 'request' }, { uid: 2, outcome: 'request' }]);
  });
});

describe('writtenKey', () => {
  const raw = (header: string, body = 'text\r\n') => Buffer.from(`${header}\r\n\r\n${body}`);
  const base = 'From: a@corp.example\r\nTo: sign@corp.example\r\nSubject: Contract\r\nDate: Tue, 03 Nov 2026 09:00:00 +0000';

  it('leaves out the fields servers add on the way, and their order and folding', () => {
    const key = writtenKey(raw(base));
    expect(key).toMatch(/^<sha256\.[0-9a-f]{64}@signrelay\.invalid>$/);
    expect(writtenKey(raw(`Received: from x by y\r\n\tid 1\r\nAuthentication-Results: mx; dkim=pass\r\nARC-Seal: i=1\r\nX-Original-To: sign@corp.example\r\n${base}`))).toBe(key);
    expect(writtenKey(raw(base.replace('Subject: Contract', 'Subject:\r\n  Contract')))).toBe(key);
    expect(writtenKey(Buffer.from(raw(base).toString().replace(/\r\n/g, '\n')))).not.toBe(''); // LF-only mails have a key too
  });

  it('follows what the sender wrote: another subject, recipient or body is another mail', () => {
    const key = writtenKey(raw(base));
    expect(writtenKey(raw(base.replace('Contract', 'Contract v2')))).not.toBe(key);
    expect(writtenKey(raw(base.replace('To: sign@', 'To: sign+legal@')))).not.toBe(key);
    expect(writtenKey(raw(base, 'other text\r\n'))).not.toBe(key);
    expect(writtenKey(raw(`${base}\r\nCc: b@corp.example`))).not.toBe(key);
    // Another Reply-To is another requester (diff review 23 L3).
    expect(writtenKey(raw(`${base}\r\nReply-To: hr-team@corp.example`))).not.toBe(writtenKey(raw(`${base}\r\nReply-To: legal-team@corp.example`)));
    // A Message-ID the watcher could not read from the envelope still tells two mails apart.
    expect(writtenKey(raw(`${base}\r\nMessage-ID: <m1@corp.example>`))).not.toBe(writtenKey(raw(`${base}\r\nMessage-ID: <m2@corp.example>`)));
  });
});
