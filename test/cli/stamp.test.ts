// `signrelay stamp` through the real command line (the in-process cases are in
// test/pdf/stamp-command.test.ts): the output PDF carries the tags as text that an
// independent extractor (poppler's pdftotext) reads back, and a missing input is one line.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdftotext } from '../pdf/pdftotext.ts';
import { linesOf, REPO, runCli, STACK_FRAME, tempDir, type TempDir } from './helpers.ts';

const SAMPLE = join(REPO, 'fixtures/pdf/sample-contract.pdf');
let dir: TempDir;

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await dir?.remove();
});

describe('signrelay stamp', () => {
  it('stamps the sign and return tags, prints the token, exits 0', async () => {
    const out = join(dir.path, 'stamped.pdf');
    const r = await runCli(['stamp', SAMPLE, '-o', out, '--signer', 'Ann Lee <ann.lee@corp.example>', '--signer', 'Zoë Ångström <zoe.angstrom@partner.example>']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const token = /^token: ([a-z2-7]{20})$/m.exec(r.stdout)?.[1];
    expect(token, r.stdout).toBeDefined();
    const tags = [
      '[!Sign.1,Ann,Lee,ann.lee@corp.example]',
      '[!Sign.2,Zoë,Ångström,zoe.angstrom@partner.example]',
      `[!Recipient.C,signrelay,Returns,returns+${token}@corp.example]`,
    ];
    expect(linesOf(r.stdout).filter((l) => l.startsWith('tag: '))).toEqual(tags.map((t) => `tag: ${t}`));
    const text = await pdftotext(new Uint8Array(await readFile(out)));
    for (const tag of tags) expect(text).toContain(tag);
    expect(text).toMatch(new RegExp(`Reference\\s+${token}`));
  });

  it('a missing input: one line on stderr, exit 1, no output file', async () => {
    const out = join(dir.path, 'never.pdf');
    const missing = join(dir.path, 'no-such.pdf');
    const r = await runCli(['stamp', missing, '-o', out, '--signer', 'Ann Lee <ann.lee@corp.example>']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(linesOf(r.stderr)).toEqual([`signrelay stamp: cannot read ${missing}: no such file or directory`]);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(existsSync(out)).toBe(false);
  });
});
