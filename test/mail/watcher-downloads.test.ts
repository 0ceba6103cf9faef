// What a watcher downloads and what it keeps, on a real Dovecot.
//
// A large mail read without its attachments' bytes (mail-outline.ts, the watcher's
// fetchOutline): a completion-like mail with a text part, an HTML part and
// a 600 KB PDF comes back as a few KB that still carry the subject, the recipients, both text
// parts and the PDF's name and type (and no part a text forges) — and a mail of one part
// comes back whole. A large request read in parts (fetchInParts): the same outline, with each
// attachment downloaded on its own, decoded, and put back in its place by the reader.
//
// A watcher keeps nothing of a mail once it is filed: each mail's source, downloaded for its
// handler, is garbage as soon as the handler is done — while the IMAP session goes on. (It
// was not: every guarded IMAP call left a reaction holding its result on a promise that lived
// as long as the session, so a daemon grew by the size of every mail it read.) Checked with
// weak references and V8's collector.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WatchedMessage } from '../../src/mail/watched-message.ts';
import { readRequestMail } from '../../src/message/read-request-mail.ts';
import { classifyAutomaticMail } from '../../src/intake/classify-automatic-mail.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import type { LogEntry } from '../support/test-logger.ts';
import { waitFor } from '../support/wait-for.ts';
import { stopAllWatchers, testMail, watch } from './watcher-harness.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PASSWORD = 'downloads-pass-51a9';
let dovecot: DovecotHandle;

beforeAll(async () => {
  dovecot = await startDovecot({ users: { outline: PASSWORD, memory: PASSWORD } });
});
afterEach(stopAllWatchers);
afterAll(async () => dovecot?.stop());


const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(600_000, 'x'), Buffer.from('\n%%EOF\n')]);

function completionMail(id: string): string {
  const base64 = PDF.toString('base64').replace(/.{76}/g, '$&\r\n');
  return [
    'From: noreply@securedsigning.com', 'To: returns+k7q2mzx4bd5fh6jn3wpa@corp.example', `Message-ID: <${id}@test.example>`,
    'Subject: Document signed: contract.pdf (ref ABC1234567)', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed;', ' boundary="outer"', '',
    '--outer', 'Content-Type: multipart/alternative; boundary="inner"', '',
    '--inner', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '',
    'Your document ABC1234567 was signed by J=C3=BCrgen.',
    // Text that would end the outline's part and start a forged one, were its boundary guessable.
    '--signrelay-outline-1', 'Content-Type: application/pdf; name=3D"forged.pdf"', '', 'x', '',
    '--inner', 'Content-Type: text/html; charset=utf-8', '', '<p>Your document <b>ABC1234567</b> was signed.</p>', '',
    '--inner--', '',
    '--outer', 'Content-Type: application/pdf; name="contract-signed.pdf"', 'Content-Disposition: attachment; filename="contract-signed.pdf"',
    'Content-Transfer-Encoding: base64', '', base64, '--outer--', '',
  ].join('\r\n');
}

async function outlines(mails: string[]): Promise<Array<{ message: WatchedMessage; outline: Buffer }>> {
  const seen: Array<{ message: WatchedMessage; outline: Buffer }> = [];
  watch(dovecot, 'outline', PASSWORD, {
    decide: async (message) => {
      seen.push({ message, outline: await message.fetchOutline() });
      return { moveTo: 'Processed' };
    },
  });
  for (const mail of mails) await dovecot.deliver('outline@corp.example', mail);
  await waitFor(() => seen.length === mails.length, { what: `${mails.length} mails outlined` });
  return seen;
}

describe('fetchOutline', () => {
  it('reads a mail with a large PDF as its header, its text parts and the PDF\'s name, without the PDF', async () => {
    const { message, outline } = (await outlines([completionMail('big')]))[0]!;
    expect(message.size).toBeGreaterThan(800_000);
    expect(outline.length).toBeLessThan(5_000);
    const mail = await readRequestMail(outline);
    expect(mail.subject).toBe('Document signed: contract.pdf (ref ABC1234567)');
    expect(mail.messageId).toBe('<big@test.example>');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined).toBe('returns+k7q2mzx4bd5fh6jn3wpa@corp.example');
    expect(mail.text).toContain('Your document ABC1234567 was signed by Jürgen.');
    expect(mail.text).toContain('--signrelay-outline-1');
    expect(mail.html).toContain('<b>ABC1234567</b>');
    expect(mail.attachments.map((a) => ({ name: a.filename, type: a.contentType, bytes: a.content.length }))).toEqual([
      { name: 'contract-signed.pdf', type: 'application/pdf', bytes: 0 },
    ]);
  });

  it('keeps a delivery report one: its multipart/report and its status part, as the reply path classifies the outline', async () => {
    const ndr = [
      'From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example>', 'To: outline@corp.example',
      'Message-ID: <ndr@test.example>', 'Subject: Undeliverable: Sent for signature: contract', 'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="r"', '',
      '--r', 'Content-Type: text/plain; charset=utf-8', '', 'Delivery has failed to these recipients.', '',
      '--r', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns;mx.corp.example', '', 'Final-Recipient: rfc822;ann@partner.example', 'Action: failed', 'Status: 5.1.1', '',
      '--r', 'Content-Type: text/rfc822-headers', '', 'Subject: Sent for signature: contract', '',
      '--r--', '',
    ].join('\r\n');
    const { outline } = (await outlines([ndr]))[0]!;
    const mail = await readRequestMail(outline);
    expect(mail.text).toContain('Delivery has failed');
    expect(classifyAutomaticMail(mail, [], 'sign@corp.example')).toEqual({ kind: 'ignore', reason: 'a delivery or read report (multipart/report)' });
    expect(mail.attachments.map((a) => a.contentType)).toContain('message/delivery-status');
  });

  it('reads a mail of one part whole', async () => {
    const plain = ['From: a@corp.example', 'To: outline@corp.example', 'Message-ID: <plain@test.example>', 'Subject: plain', '', 'Just text, ref ABC1234567.', ''].join('\r\n');
    const { outline } = (await outlines([plain]))[0]!;
    const mail = await readRequestMail(outline);
    expect(mail.text).toContain('Just text, ref ABC1234567.');
    expect(outline.toString()).toContain('Subject: plain');
  });
});

describe('fetchInParts', () => {
  /** A watcher whose handler reads each mail in parts, with imapflow's protocol log kept. */
  function readInParts() {
    const seen: Array<{ outline: Buffer; parts: Map<string, Buffer>; fetchedBeforeParts: string[]; whole: boolean }> = [];
    const { log } = watch(dovecot, 'outline', PASSWORD, {
      logLevel: 'debug',
      decide: async (message) => {
        const { outline, downloadParts, whole } = await message.fetchInParts();
        // Nothing of an attachment comes with the outline: only when the parts are asked for.
        const fetchedBeforeParts = partFetches(log.entries);
        seen.push({ outline, parts: await downloadParts(), fetchedBeforeParts, whole: whole === true });
        return { moveTo: 'Processed' };
      },
    });
    return { seen, log };
  }

  /** The mail above, with a text file attached (in Latin-1) that names a placeholder it cannot know. */
  const withGuess = (id: string) => completionMail(id).replace('--outer--', [
    '--outer', 'Content-Type: text/plain; charset=iso-8859-1; name="notes.txt"', 'Content-Disposition: attachment; filename="notes.txt"',
    'Content-Transfer-Encoding: quoted-printable', '', 'J=FCrgen: signrelay-part-00000000-0000-0000-0000-000000000000-2', '--outer--',
  ].join('\r\n'));

  it('reads a large mail in parts: an outline without any attachment\'s bytes, each attachment downloaded on its own, decoded and put back', async () => {
    const { seen, log } = readInParts();
    await dovecot.deliver('outline@corp.example', withGuess('parts'));
    const { outline, parts, fetchedBeforeParts, whole } = await waitFor(() => seen[0], { what: 'the mail read in parts' });
    expect(outline.length).toBeLessThan(5_000);
    expect(fetchedBeforeParts).toEqual([]);
    expect(whole).toBe(false);
    // The PDF came on its own; the text file, in the outline, as it came.
    expect([...parts.values()].map((bytes) => bytes.length)).toEqual([PDF.length]);
    const mail = await readRequestMail(outline, parts);
    expect(mail.subject).toBe('Document signed: contract.pdf (ref ABC1234567)');
    expect(mail.text).toContain('Your document ABC1234567 was signed by Jürgen.');
    expect(mail.attachments.map((a) => ({ name: a.filename, type: a.contentType, bytes: a.content.length }))).toEqual([
      { name: 'contract-signed.pdf', type: 'application/pdf', bytes: PDF.length },
      { name: 'notes.txt', type: 'text/plain', bytes: 61 },
    ]);
    expect(mail.attachments[0]!.content.equals(PDF)).toBe(true);
    expect(mail.attachments[1]!.content.toString('latin1')).toBe('Jürgen: signrelay-part-00000000-0000-0000-0000-000000000000-2');
    // The server decoded the PDF (IMAP BINARY): its base64 never came over the wire.
    expect(partFetches(log.entries)).toEqual(['BINARY.PEEK[2]<0.1048576>']);
  });

  it('hands a mail of one part over whole, as its outline, and says so (it need not be downloaded again)', async () => {
    const { seen } = readInParts();
    const plain = ['From: a@corp.example', 'To: outline@corp.example', 'Subject: one part', '', 'Just text.', ''].join('\r\n');
    await dovecot.deliver('outline@corp.example', plain);
    const { outline, parts, whole } = await waitFor(() => seen[0], { what: 'the mail read in parts' });
    expect(whole).toBe(true);
    expect(parts.size).toBe(0);
    expect(outline.toString()).toContain('Just text.');
  });

  it('decodes a part itself when the server will not (its base64 broken): as leniently as a mail read whole', async () => {
    const { seen, log } = readInParts();
    // Characters base64 does not have, in the middle of the PDF's lines: Dovecot answers BINARY with NO [PARSE].
    const broken = completionMail('broken').replace(/^(JVBERi0xLjc[A-Za-z0-9+/]{20})/m, '$1!!!');
    expect(broken).toContain('!!!');
    await dovecot.deliver('outline@corp.example', broken);
    const { outline, parts } = await waitFor(() => seen[0], { what: 'the mail read in parts' });
    const whole = await readRequestMail(Buffer.from(broken));
    expect(whole.attachments[0]!.content.equals(PDF)).toBe(true);
    expect((await readRequestMail(outline, parts)).attachments[0]!.content.equals(PDF)).toBe(true);
    expect(partFetches(log.entries)).toEqual(['BINARY.PEEK[2]<0.1048576>', 'BODY.PEEK[2]<0.1048576>']);
  });
});

/** The partial FETCHes of part 2 the watcher sent (imapflow's protocol log at debug). */
function partFetches(entries: LogEntry[]): string[] {
  return entries.filter((entry) => entry.message === 'imapflow' && entry.src === 'c')
    .flatMap((entry) => /(BINARY|BODY)\.PEEK\[2\]<[\d.]+>/.exec(String(entry.imapMsg))?.[0] ?? []);
}

describe('a watcher\'s memory', () => {
  it('holds no downloaded mail after its handler is done, with the session still open', async () => {
    const sources: Array<WeakRef<Buffer>> = [];
    const { watcher } = watch(dovecot, 'memory', PASSWORD, {
      decide: (_message, source) => {
        sources.push(new WeakRef(source));
        return { moveTo: 'Processed' };
      },
    });
    const body = 'x'.repeat(76).concat('\r\n').repeat(4_000); // ~300 KB each
    for (let n = 1; n <= 4; n++) await dovecot.deliver('memory@corp.example', testMail(`big-${n}`, { body }));
    await waitFor(async () => sources.length === 4 && (await dovecot.list('memory', 'INBOX')).length === 0, { what: 'all four mails filed', timeoutMs: 60_000 });
    expect(watcher.status().state).not.toBe('stopped');
    for (let round = 0; round < 5 && sources.some((ref) => ref.deref()); round++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    expect(sources.map((ref) => (ref.deref() ? 'kept' : 'freed'))).toEqual(['freed', 'freed', 'freed', 'freed']);
  });
});
