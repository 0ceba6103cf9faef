// `signrelay stamp` run in-process: the happy paths write the file atomically and print
// the token; every failure is exactly one stderr line with the right exit code.
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runStampCommand } from '../../src/commands/stamp.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { readTokenFromPdf } from '../../src/pdf/pdf-tasks.ts';
import { REQUESTER_TAGS } from './make-pdf.ts';

const FIXTURES = new URL('../../fixtures/pdf/', import.meta.url);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signrelay-stamp-'));
  for (const name of ['sample-contract.pdf', 'encrypted.pdf', 'with-tags.pdf']) await copyFile(new URL(name, FIXTURES), join(dir, name));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stamp(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runStampCommand(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

const at = (name: string) => join(dir, name);

describe('signrelay stamp', () => {
  it('stamps, writes the output and prints the token and path', async () => {
    const r = await stamp(at('sample-contract.pdf'), '-o', at('out.pdf'), '--signer', 'Ann Lee <ann.lee@corp.example>', '--signer', 'Zoë Ångström <zoe@corp.example>');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const token = /^token: ([a-z2-7]{20})$/m.exec(r.stdout)?.[1];
    expect(token).toBeDefined();
    expect(r.stdout).toContain(`output: ${at('out.pdf')}\n`);
    expect(r.stdout).toContain(`upload name: sample-contract--signrelay-${token}.pdf\n`);
    const out = new Uint8Array(await readFile(at('out.pdf')));
    const text = (await extractPdfText(out)).join('\n');
    expect(text).toContain('[!Sign.1,Ann,Lee,ann.lee@corp.example]');
    expect(text).toContain('[!Sign.2,Zoë,Ångström,zoe@corp.example]');
    expect(text).toContain(`[!Recipient.C,signrelay,Returns,returns+${token}@corp.example]`);
    expect(await readTokenFromPdf(out)).toBe(token);
    // Atomic write: no temp file left behind.
    expect((await readdir(dir)).sort()).toEqual(['encrypted.pdf', 'out.pdf', 'sample-contract.pdf', 'with-tags.pdf']);
  });

  it('honours --return-address and --mode overlay', async () => {
    const r = await stamp(at('sample-contract.pdf'), '-o', at('out.pdf'), '--signer', 'ann.lee@corp.example', '--return-address', 'signed@corp.example', '--mode', 'overlay');
    expect(r.code).toBe(0);
    const token = /^token: (\S+)$/m.exec(r.stdout)![1]!;
    const pages = await extractPdfText(new Uint8Array(await readFile(at('out.pdf'))));
    expect(pages).toHaveLength(2);
    expect(pages[1]).toContain('[!Sign.1,Ann,Lee,ann.lee@corp.example]');
    expect(pages[1]).toContain(`signed+${token}@corp.example]`);
  });

  it('takes a signer of an internationalised domain as the daemon does, in its ASCII form (diff review 20 L4)', async () => {
    const r = await stamp(at('sample-contract.pdf'), '-o', at('out.pdf'), '--signer', 'Li Lei <lilei@例子.广告>');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const pages = await extractPdfText(new Uint8Array(await readFile(at('out.pdf'))));
    expect(pages.at(-1)).toContain('[!Sign.1,Li,Lei,lilei@xn--fsqu00a.xn--4rr70v]');
  });

  it('needs no --signer for a PDF with its own tags, and adds only the recipient tag', async () => {
    const r = await stamp(at('with-tags.pdf'), '-o', at('with-tags.pdf'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kept: 2 [!Sign.] tag(s) already in with-tags.pdf');
    const text = (await extractPdfText(new Uint8Array(await readFile(at('with-tags.pdf'))))).join('\n');
    for (const tag of REQUESTER_TAGS) expect(text).toContain(tag);
    expect(text.split('[!Sign.').length - 1).toBe(2);
    expect(text.split('[!Recipient.').length - 1).toBe(1);
  });

  it('prints usage for --help', async () => {
    const r = await stamp('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: signrelay stamp IN\.pdf -o OUT\.pdf/);
  });

  it.each([
    ['no arguments', [], 2, 'signrelay stamp: name the PDF to stamp (see --help)'],
    ['no output', ['@sample-contract.pdf'], 2, 'signrelay stamp: give the output file with -o OUT.pdf (see --help)'],
    ['two inputs', ['@sample-contract.pdf', '@sample-contract.pdf', '-o', '@out.pdf'], 2, 'signrelay stamp: name exactly one PDF to stamp (see --help)'],
    ['an unknown option', ['@sample-contract.pdf', '-o', '@out.pdf', '--colour', 'red'], 2, /^signrelay stamp: Unknown option '--colour'.* \(see --help\)$/],
    ['a bad signer', ['@sample-contract.pdf', '-o', '@out.pdf', '--signer', 'Ann Lee'], 2, 'signrelay stamp: --signer: "Ann Lee" has no valid email address (write it as First Last <first.last@example.com>) (see --help)'],
    ['a bad mode', ['@sample-contract.pdf', '-o', '@out.pdf', '--signer', 'a@corp.example', '--mode', 'stamp'], 2, 'signrelay stamp: --mode must be signature-page or overlay, not "stamp" (see --help)'],
    ['a plus return address', ['@sample-contract.pdf', '-o', '@out.pdf', '--signer', 'a@corp.example', '--return-address', 'r+x@corp.example'], 2, /^signrelay stamp: --return-address must be a plain address/],
    ['no signer for an untagged PDF', ['@sample-contract.pdf', '-o', '@out.pdf'], 2, 'signrelay stamp: give at least one --signer "First Last <email>" (sample-contract.pdf has no [!Sign.] tags of its own) (see --help)'],
    ['signers for a PDF with sign tags of its own', ['@with-tags.pdf', '-o', '@out.pdf', '--signer', 'a@corp.example'], 1, /^signrelay stamp: with-tags\.pdf names its own signers in signature tags \(1\. Ann Lee <ann\.lee@corp\.example>, 2\. Bruno Diaz <bruno\.diaz@northwind\.example>\) and the request names signers too \(1\. a@corp\.example\): signrelay will not choose between them\. To have the document's signers sign, name no signers/],
    ['a missing input', ['@missing.pdf', '-o', '@out.pdf', '--signer', 'a@corp.example'], 1, /^signrelay stamp: cannot read .*missing\.pdf: no such file or directory$/],
    ['an encrypted PDF', ['@encrypted.pdf', '-o', '@out.pdf', '--signer', 'a@corp.example'], 1, 'signrelay stamp: encrypted.pdf is protected (encrypted — also when it opens without a password, it may be locked against changes): save or print it to a PDF without protection and send that'],
    ['a damaged PDF', ['@damaged.pdf', '-o', '@out.pdf', '--signer', 'a@corp.example'], 1, 'signrelay stamp: damaged.pdf could not be read as a PDF (it may be damaged): export it again and resend'],
    ['an unwritable output', ['@sample-contract.pdf', '-o', '@no/such/dir/out.pdf', '--signer', 'a@corp.example'], 1, /^signrelay stamp: cannot write .*out\.pdf: no such file or directory$/],
  ] as const)('fails with one stderr line for %s (@NAME = a file in the test directory)', async (_name, args, code, line) => {
    const contract = await readFile(at('sample-contract.pdf'));
    await writeFile(at('damaged.pdf'), contract.subarray(0, contract.byteLength / 2));
    const r = await stamp(...args.map((a) => (a.startsWith('@') ? at(a.slice(1)) : a)));
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    if (typeof line === 'string') expect(r.stderr.trimEnd()).toBe(line);
    else expect(r.stderr.trimEnd()).toMatch(line);
    expect((await readdir(dir)).filter((f) => f.startsWith('out') || f.endsWith('.tmp'))).toEqual([]);
  });
});
