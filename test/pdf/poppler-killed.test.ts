// Why pdftotext ended decides what becomes of the mail: its CPU limit (SIGXCPU, the kernel's
// answer to a file built to keep it busy) refuses the PDF; a SIGKILL that is not signrelay's
// own (the machine out of memory) says little about the file — the mail is tried again, a
// valid PDF is never refused for it at once, but as an attempt counted (a file that makes it
// grow must not be tried for ever). A stand-in pdftotext ends itself each way.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { failureKind } from '../../src/mail/with-attempt-limit.ts';
import { readWithPoppler } from '../../src/pdf/poppler-text.ts';

const PATH = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH;
});

function pdftotextThatDiesBy(signal: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'signrelay-fake-pdftotext-'));
  writeFileSync(join(dir, 'pdftotext'), `#!/bin/sh\ncat >/dev/null\nkill -${signal} $$\n`);
  chmodSync(join(dir, 'pdftotext'), 0o755);
  process.env.PATH = `${dir}:${PATH}`;
}

describe('pdftotext ended by a signal', () => {
  it('at its CPU limit: the PDF is refused as too complex', async () => {
    pdftotextThatDiesBy('XCPU');
    await expect(readWithPoppler(new Uint8Array(10), 'contract.pdf')).rejects.toMatchObject({ kind: 'input', message: expect.stringContaining('reading it takes more than 20 s') });
  });

  it('killed from outside: the mail is tried again, the PDF not refused — a counted attempt, never for ever', async () => {
    pdftotextThatDiesBy('KILL');
    const killed = await readWithPoppler(new Uint8Array(10), 'contract.pdf').catch((err: unknown) => err);
    expect(killed).toMatchObject({ kind: 'transient', code: 'pdftotext_killed' });
    expect(failureKind(killed)).toBe('killed');
  });

  it.each(['TERM', 'INT', 'HUP'])('ended by SIG%s (a stop of the whole unit or process group): tried again, the PDF never refused for it', async (signal) => {
    pdftotextThatDiesBy(signal);
    const ended = await readWithPoppler(new Uint8Array(10), 'contract.pdf').catch((err: unknown) => err);
    expect(ended).toMatchObject({ kind: 'transient', code: 'pdftotext_killed', message: expect.stringContaining(`ended from outside (SIG${signal})`) });
    expect(failureKind(ended)).toBe('killed');
  });
});
