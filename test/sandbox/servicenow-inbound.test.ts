// The simulated instance's inbound email action end to end on a real Dovecot: mail is
// delivered over LMTP to the instance's mailbox, the simulator reads it over IMAP and
// attaches (or, like the real instance, does not attach) the mail's attachments.
import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessedMail } from '../../src/sandbox/servicenow/apply-inbound-mail.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { waitFor } from '../support/wait-for.ts';

const PASSWORD = 'instance-imap-pass-51d2';
const SIZE_LIMIT = 64 * 1024;
let dovecot: DovecotHandle;
let sim: ServiceNowSimulator;

beforeAll(async () => {
  dovecot = await startDovecot({ users: { instance: PASSWORD } });
  sim = await startServiceNowSimulator({
    users: { 'signrelay.integration': 'x-pass' },
    records: ['RITM0010001', 'RITM0010002', 'RITM0010003', 'RITM0010004', 'RITM0010005', 'RITM0010006', 'RITM0010007', 'RITM0010008', 'RITM0010009'].map((number) => ({ table: 'sc_req_item', number })),
    inbound: { imap: { host: dovecot.host, port: dovecot.imapPort, user: 'instance', password: PASSWORD }, pollIntervalMs: 100, maxTotalAttachmentBytes: SIZE_LIMIT },
  });
});
afterAll(async () => {
  await sim?.close();
  await dovecot?.stop();
});

const pdf = (text: string, padTo = 0) => Buffer.from(`%PDF-1.7\n% ${text}\n${'%'.repeat(padTo)}\n%%EOF\n`);
const record = (number: string) => sim.records.find((r) => r.number === number)!;
let counter = 0;

async function deliver(options: Mail.Options): Promise<string> {
  const messageId = options.messageId ?? `<inbound-${++counter}.${Date.now()}@corp.example>`;
  const raw = await new MailComposer({ from: 'signrelay <sign@corp.example>', to: 'instance@service-now.com', text: 'Signed document attached.', messageId, ...options }).compile().build();
  await dovecot.deliver('instance', raw);
  return messageId;
}

function processed(messageId: string, count = 1): Promise<ProcessedMail> {
  return waitFor(() => {
    const entries = sim.inbound!.processed.filter((p) => p.messageId === messageId);
    return entries.length >= count ? entries.at(-1) : undefined;
  }, { timeoutMs: 10_000, what: `inbound mail ${messageId} processed ${count}×`, describe: () => ({ processed: sim.inbound!.processed, errors: sim.inbound!.errors }) });
}

describe('inbound email action', () => {
  it('a reply carrying the watermark: attached, body as a comment, mail filed in Processed', async () => {
    const target = record('RITM0010001');
    const watermark = sim.issueWatermark('sc_req_item', target.sysId);
    const bytes = pdf('signed by Ann');
    const id = await deliver({ subject: 'your document is signed', text: `Signed document attached.\n\n${watermark}\n`, attachments: [{ filename: 'contract-signed.pdf', content: bytes, contentType: 'application/pdf' }] });
    const entry = await processed(id);
    expect(entry).toMatchObject({ classification: 'reply', matchedBy: 'watermark', record: { number: 'RITM0010001' }, attached: ['contract-signed.pdf'] });
    expect(target.attachments.map((a) => [a.fileName, a.hash, a.contentType])).toEqual([['contract-signed.pdf', createHash('sha256').update(bytes).digest('hex'), 'application/pdf']]);
    expect(target.journal.at(-1)).toMatchObject({ field: 'comments', value: expect.stringContaining('Signed document attached.') });
    await waitFor(async () => (await dovecot.list('instance', 'Processed')).some((m) => m.messageId === id), { what: 'the mail in Processed' });
    const filed = (await dovecot.list('instance', 'Processed')).find((m) => m.messageId === id)!;
    expect(filed.flags).toContain('\\Seen');
    expect((await dovecot.list('instance', 'INBOX')).some((m) => m.messageId === id)).toBe(false);
  });

  it('"re: RITM0010002 signed": attached through the number in the subject', async () => {
    const id = await deliver({ subject: 're: RITM0010002 signed', attachments: [{ filename: 'offer-signed.pdf', content: pdf('offer') }] });
    const entry = await sim.inbound!.waitFor((p) => p.messageId === id, 10_000);
    expect(entry).toMatchObject({ classification: 'reply', matchedBy: 'number', attached: ['offer-signed.pdf'] });
    expect(record('RITM0010002').attachments.map((a) => a.fileName)).toEqual(['offer-signed.pdf']);
  });

  it('"RITM0010003: signed" (no prefix, no spaces): a new mail, nothing attached', async () => {
    const id = await deliver({ subject: 'RITM0010003: signed', attachments: [{ filename: 'x-signed.pdf', content: pdf('x') }] });
    expect(await processed(id)).toMatchObject({ classification: 'new', attached: [] });
    expect(record('RITM0010003').attachments).toEqual([]);
    expect(record('RITM0010003').journal).toEqual([]);
  });

  it('a forward ("Fwd:" and From: in the body) is never attached, even with a watermark', async () => {
    const watermark = sim.issueWatermark('sc_req_item', record('RITM0010004').sysId);
    const id = await deliver({
      subject: 'Fwd: RITM0010004 signed', text: `---------- Forwarded message ---------\nFrom: Ann Lee <ann@corp.example>\n\n${watermark}`,
      attachments: [{ filename: 'fwd-signed.pdf', content: pdf('fwd') }],
    });
    expect(await processed(id)).toMatchObject({ classification: 'forward', attached: [] });
    expect(record('RITM0010004').attachments).toEqual([]);
  });

  it('the same mail twice: attached once', async () => {
    const messageId = `<twice.${Date.now()}@corp.example>`;
    const mail = { messageId, subject: 're: RITM0010005 signed', attachments: [{ filename: 'twice-signed.pdf', content: pdf('twice') }] };
    await deliver(mail);
    await processed(messageId, 1);
    await deliver(mail);
    const second = await processed(messageId, 2);
    expect(second).toMatchObject({ classification: 'reply', attached: [], skipped: ['twice-signed.pdf'] });
    expect(record('RITM0010005').attachments).toHaveLength(1);
  });

  it('a same-named file with other content is attached as well (identical = name and hash)', async () => {
    await processed(await deliver({ subject: 're: RITM0010006 signed', attachments: [{ filename: 'v-signed.pdf', content: pdf('v1') }] }));
    await processed(await deliver({ subject: 're: RITM0010006 signed', attachments: [{ filename: 'v-signed.pdf', content: pdf('v2') }] }));
    expect(record('RITM0010006').attachments.map((a) => a.fileName)).toEqual(['v-signed.pdf', 'v-signed.pdf']);
  });

  it('attachments over the total size limit are silently discarded', async () => {
    const id = await deliver({ subject: 're: RITM0010007 signed', attachments: [{ filename: 'big-signed.pdf', content: pdf('big', SIZE_LIMIT) }] });
    const entry = await processed(id);
    expect(entry).toMatchObject({ classification: 'reply', attached: [], discarded: expect.stringMatching(/max_total_attachment_size_bytes \(65536\)/) });
    expect(record('RITM0010007').attachments).toEqual([]);
    // The action still ran: the body became a comment, as the real instance does.
    expect(record('RITM0010007').journal).toHaveLength(1);
  });

  it('attachments past glide.email.inbound.max_attachment_count (30) are dropped', async () => {
    const attachments = Array.from({ length: 31 }, (_, i) => ({ filename: `part-${String(i + 1).padStart(2, '0')}-signed.pdf`, content: pdf(`p${i}`) }));
    const entry = await processed(await deliver({ subject: 're: RITM0010009 signed', attachments }));
    expect(entry).toMatchObject({ attached: attachments.slice(0, 30).map((a) => a.filename), discarded: expect.stringMatching(/31 attachments exceed glide\.email\.inbound\.max_attachment_count \(30\)/) });
    expect(record('RITM0010009').attachments).toHaveLength(30);
  });

  it('reconnects after the IMAP server went away and reads what arrived meanwhile', async () => {
    const connectionsBefore = sim.inbound!.connections;
    await dovecot.restart();
    const id = await deliver({ subject: 're: RITM0010008 signed', attachments: [{ filename: 'after-restart-signed.pdf', content: pdf('restart') }] });
    expect(await processed(id)).toMatchObject({ classification: 'reply', attached: ['after-restart-signed.pdf'] });
    expect(sim.inbound!.connections).toBeGreaterThan(connectionsBefore);
  });
});
