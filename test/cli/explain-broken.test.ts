// `signrelay explain` on input that is not a good mail: whatever the bytes, a mail file gets
// a JSON answer and exit 0 (the daemon would move it to Rejected, never crash or retry
// forever). Only a file that cannot be read is an error: one line, exit 1, no stack trace.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMail, contractPdf } from '../integration/world.ts';
import { linesOf, minimalConfigYaml, STACK_FRAME, tempDir, type TempDir } from './helpers.ts';
import { runInProcess } from './in-process.ts';

let dir: TempDir;
/** A configuration that refuses mails over 1 MB (the example allows 25 MiB). */
let smallLimit: string;

beforeAll(async () => {
  dir = await tempDir();
  smallLimit = await dir.file('small-limit.yaml', minimalConfigYaml('routes:\n  default: {}\nlimits: {max_mail_bytes: 1000000}\n'));
});
afterAll(async () => {
  await dir?.remove();
});

/** The same "random" bytes on every run (sha256 in counter mode), so a failure can be replayed. */
function noise(length: number, seed = 'signrelay'): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < length; i++) blocks.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(blocks).subarray(0, length);
}

interface Explained {
  action: string;
  reason: string;
  reply: boolean;
  request: unknown;
}

async function explainFile(file: string, ...args: string[]): Promise<Explained> {
  const r = await runInProcess(['explain', file, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const answer = JSON.parse(r.stdout) as Explained;
  // A reply names who it would go to (replyTo), and only a reply does.
  expect(Object.keys(answer)).toEqual(['action', 'reason', 'reply', ...(answer.reply ? ['replyTo'] : []), 'request']);
  return answer;
}

const request = (attachment: Buffer | Uint8Array, from?: string) => buildMail({
  from, subject: 'Contract RITM0010001', text: 'Signer: Ann Lee <ann.lee@corp.example>\nDue: 30d\n',
  attachments: [{ filename: 'contract.pdf', content: attachment }],
});

describe('explain answers for any mail file (exit 0, JSON)', () => {
  it('an empty file: rejected, no reply (there is no one to answer)', async () => {
    const a = await explainFile(await dir.file('empty.eml', ''));
    expect(a).toMatchObject({ action: 'reject', reply: false, request: null });
    expect(a.reason).toContain('no From address');
  });

  it('random binary bytes: rejected, no reply', async () => {
    const a = await explainFile(await dir.file('noise.eml', noise(64 * 1024)));
    expect(a).toMatchObject({ action: 'reject', reply: false, request: null });
  });

  it('a mail whose base64 PDF is cut off: rejected with a reply saying the PDF is damaged', async () => {
    const raw = (await request(await contractPdf())).toString('latin1');
    const pdfStart = raw.indexOf('JVBERi0'); // base64 of "%PDF-"
    expect(pdfStart).toBeGreaterThan(0);
    const a = await explainFile(await dir.file('truncated.eml', Buffer.from(raw.slice(0, pdfStart + 600), 'latin1')));
    expect(a).toMatchObject({ action: 'reject', reply: true, request: null });
    expect(a.reason).toMatch(/^contract\.pdf could not be read as a PDF \(it may be damaged\)/);
  });

  describe('a 3 MB mail', () => {
    let big: string;
    beforeAll(async () => {
      // A good request, made big by padding after %%EOF (which PDF readers ignore).
      const pdf = Buffer.concat([Buffer.from(await contractPdf()), Buffer.alloc(2_200_000, ' ')]);
      const raw = await request(pdf);
      expect(raw.length).toBeGreaterThan(2_900_000);
      expect(raw.length).toBeLessThan(3_200_000);
      big = await dir.file('big.eml', raw);
    });

    it('is a request under the example configuration\'s 25 MiB limit', async () => {
      expect((await explainFile(big)).action).toBe('request');
    });

    it('is refused for its size, with a reply, when limits.max_mail_bytes is 1000000', async () => {
      const a = await explainFile(big, '--config', smallLimit);
      expect(a).toMatchObject({ action: 'reject', reply: true, request: null });
      expect(a.reason).toMatch(/^the mail is 2\.\d MB; the limit is 1\.0 MB: send a smaller PDF/);
    });

    it('is decided from its headers: an oversize bounce is still ignored, not answered', async () => {
      const pdf = Buffer.concat([Buffer.from(await contractPdf()), Buffer.alloc(2_200_000, ' ')]);
      const bounce = await dir.file('big-bounce.eml', await request(pdf, 'Mail Delivery System <MAILER-DAEMON@mx.example.com>'));
      const a = await explainFile(bounce, '--config', smallLimit);
      expect(a).toMatchObject({ action: 'ignore', reply: false });
    });
  });
});

describe('explain measures a mail as IMAP does (RFC822.SIZE counts CRLF line ends)', () => {
  it('an .eml saved with LF line ends is refused when only its CRLF size is over the limit', async () => {
    const pdf = Buffer.concat([Buffer.from(await contractPdf()), Buffer.alloc(200_000, ' ')]);
    const lf = Buffer.from((await request(pdf)).toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const lines = lf.toString('latin1').split('\n').length - 1;
    const config = (limit: number) => dir.file(`limit-${limit}.yaml`, minimalConfigYaml(`routes:\n  default: {}\nlimits: {max_mail_bytes: ${limit}}\n`));
    const mail = await dir.file('lf.eml', lf);
    // Between the file size and the size Dovecot reports for the same mail.
    const over = await explainFile(mail, '--config', await config(lf.length + Math.floor(lines / 2)));
    expect(over).toMatchObject({ action: 'reject', reply: true });
    expect(over.reason).toMatch(/^the mail is [\d.]+ MB; the limit is/);
    expect((await explainFile(mail, '--config', await config(lf.length + lines))).action).toBe('request');
  });
});

describe('explain errors: one line on stderr, no stack trace', () => {
  const expectOneLine = (r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) => {
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  };

  it('a missing mail file', async () => {
    expectOneLine(await runInProcess(['explain', `${dir.path}/no-such.eml`]), /^signrelay: cannot read \S+\/no-such\.eml: no such file\n$/);
  });

  it('a directory instead of a mail file', async () => {
    expectOneLine(await runInProcess(['explain', dir.path]), /^signrelay: cannot read \S+: it is a directory, not a mail file\n$/);
  });

  it('a missing --config file', async () => {
    expectOneLine(await runInProcess(['explain', await dir.file('ok.eml', ''), '--config', `${dir.path}/nope.yaml`]),
      /^signrelay: cannot read the configuration \S+\/nope\.yaml: the file does not exist\. /);
  });

  it('no mail file named: the explain usage, exit 2', async () => {
    const r = await runInProcess(['explain']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^signrelay explain: name one mail file \(\.eml\)\nusage: signrelay explain MAIL\.eml/);
  });
});
