// A large request mail is read in parts: its outline first, then each attachment. Who sent it
// is known from the outline, so a stranger's, a machine's or a forged mail is refused before
// any attachment is downloaded — nobody outside makes the daemon fetch 29 MB to say no. A
// mail the sender may send still comes whole, and a refusal that is answered (a colleague's
// typo in the route) is decided on the whole mail, as a small one is.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { createRequestMailHandler } from '../../src/intake/process-request-mail.ts';
import { silentLogger } from '../../src/log.ts';
import type { WatchedMessage } from '../../src/mail/watched-message.ts';
import { stopPdfPool } from '../../src/pdf/pdf-pool.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { BlobStore } from '../../src/store/blobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { buildRaw, samplePdf } from './intake-helpers.ts';

afterAll(stopPdfPool);

function setUp() {
  const base = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
  const config = { ...base, storage: { ...base.storage, data_dir: mkdtempSync(join(tmpdir(), 'large-mail-')) } };
  const db = openDatabase(config.storage.data_dir);
  const handle = createRequestMailHandler({ db, blobs: new BlobStore(config.storage.data_dir), config, policy: intakePolicyFrom(config), provider: providerTraits(config.provider), logger: silentLogger(), now: () => new Date('2026-11-03T10:00:00Z') });
  return { db, handle };
}

let uid = 0;
/** The mail as the watcher hands over one of 6 MB (read in parts); its parts counted when downloaded. */
async function largeMail(headers: Record<string, string>, from: string, withMessageId = true, onePart = false) {
  const id = ++uid;
  const messageId = withMessageId ? `<large-${id}@test.example>` : null;
  let raw = await buildRaw({ from, messageId: `<large-${id}@test.example>`, headers, text: 'Please sign.\nRecord: RITM0010001\nSigner: Ann Lee <ann.lee@corp.example>', attachments: [{ filename: 'contract.pdf', content: await samplePdf() }] });
  if (!withMessageId) raw = Buffer.from(raw.toString('latin1').replace(/^Message-ID: .*\r\n/im, ''), 'latin1');
  const downloads = { count: 0, whole: 0 };
  const message: WatchedMessage = {
    mailbox: 'requests', folder: 'INBOX', place: '1', uid: id, size: 6 * 1024 * 1024, messageId,
    fetchSource: async () => {
      // Only a mail without a Message-ID is read whole (it is known by its content), once its outline let it through.
      if (withMessageId) throw new Error('a large mail with a Message-ID is never downloaded whole');
      downloads.whole++;
      return raw;
    },
    fetchHeaders: async () => raw, fetchOutline: async () => raw,
    // A mail of one part (or nothing to leave out) comes whole as its outline.
    fetchInParts: async () => ({ outline: raw, ...(onePart ? { whole: true } : {}), downloadParts: async () => { downloads.count++; return new Map(); } }),
  };
  return { message, downloads };
}

describe('a large request mail', () => {
  it('from a sender the route does not take is refused from its outline: no attachment is downloaded', async () => {
    const { db, handle } = setUp();
    const { message, downloads } = await largeMail({}, 'Mallory <mallory@elsewhere.example>');
    expect(await handle(message)).toEqual({ moveTo: 'Rejected' });
    expect(downloads).toEqual({ count: 0, whole: 0 });
    expect(db.prepare('SELECT reason FROM messages').get()).toEqual({ reason: expect.stringMatching(/^mallory@elsewhere\.example may not send requests to route "default"/) });
    expect(db.prepare("SELECT count(*) AS n FROM jobs WHERE kind = 'mail'").get()).toEqual({ n: 0 });
  });

  it('without a Message-ID, from a sender the route does not take: refused from its outline too, never downloaded whole', async () => {
    const { db, handle } = setUp();
    const { message, downloads } = await largeMail({}, 'Mallory <mallory@elsewhere.example>', false);
    expect(await handle(message)).toEqual({ moveTo: 'Rejected' });
    expect(downloads).toEqual({ count: 0, whole: 0 });
    expect(db.prepare('SELECT reason FROM messages').get()).toEqual({ reason: expect.stringMatching(/^mallory@elsewhere\.example may not send requests/) });
  });

  it('without a Message-ID, from a colleague: read whole (known by its content) and sent for signing', async () => {
    const { db, handle } = setUp();
    const { message, downloads } = await largeMail({}, 'Ann Lee <ann.lee@corp.example>', false);
    expect(await handle(message)).toEqual({ moveTo: 'Processed' });
    expect(downloads).toEqual({ count: 0, whole: 1 });
    expect(db.prepare('SELECT message_id FROM messages').get()).toEqual({ message_id: expect.stringMatching(/^<sha256\.[0-9a-f]{64}@signrelay\.invalid>$/) });
  });

  it('without a Message-ID, of one part (downloaded whole as its outline): not downloaded a second time', async () => {
    const { db, handle } = setUp();
    const { message, downloads } = await largeMail({}, 'Ann Lee <ann.lee@corp.example>', false, true);
    expect(await handle(message)).toEqual({ moveTo: 'Processed' });
    expect(downloads).toEqual({ count: 0, whole: 0 });
    expect(db.prepare('SELECT state FROM requests').get()).toEqual({ state: 'stamped' });
  });

  it('from a machine (an auto-reply) is ignored from its outline', async () => {
    const { handle } = setUp();
    const { message, downloads } = await largeMail({ 'Auto-Submitted': 'auto-replied' }, 'Ann Lee <ann.lee@corp.example>');
    expect(await handle(message)).toEqual({ moveTo: 'Rejected' });
    expect(downloads).toEqual({ count: 0, whole: 0 });
  });

  it('from a colleague comes whole and is sent for signing', async () => {
    const { db, handle } = setUp();
    const { message, downloads } = await largeMail({}, 'Ann Lee <ann.lee@corp.example>');
    expect(await handle(message)).toEqual({ moveTo: 'Processed' });
    expect(downloads).toEqual({ count: 1, whole: 0 });
    expect(db.prepare('SELECT state FROM requests').get()).toEqual({ state: 'stamped' });
  });

  it('to an unknown route from a colleague, answered, is decided on the whole mail', async () => {
    const { db, handle } = setUp();
    const { message, downloads } = await largeMail({}, 'Ann Lee <ann.lee@corp.example>');
    const toUnknownRoute = { ...message, fetchInParts: async () => { const inParts = await message.fetchInParts(); return { ...inParts, outline: Buffer.from(inParts.outline.toString('latin1').replace('To: sign@corp.example', 'To: sign+payroll@corp.example'), 'latin1') }; } };
    expect(await handle(toUnknownRoute)).toEqual({ moveTo: 'Rejected' });
    expect(downloads).toEqual({ count: 1, whole: 0 });
    expect(db.prepare("SELECT json_extract(payload, '$.message.to') AS \"to\" FROM jobs WHERE kind = 'mail'").get()).toEqual({ to: 'ann.lee@corp.example' });
  });
});
