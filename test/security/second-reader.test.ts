// Tags only another PDF reader finds: pdf.js (signrelay's reader, and the simulator's) and
// poppler's pdftotext disagree on what a file says — what they enter (a soft mask's group),
// how they name glyphs a font gives no Unicode for, what an empty ToUnicode entry yields, how
// they join a hyphenated line, how they order rotated text, how they parse /ActualText. Each
// of these carried an attacker's tag past the stamped-text check while it read with pdf.js
// alone. The stamped file is now read by poppler too (src/pdf/poppler-text.ts), and each
// case is refused. Each is shown to be real first: pdftotext reads the tag in the original,
// pdf.js does not.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pdfReaderCheckItem } from '../../src/checks/check-pdf-reader.ts';
import { configSchema } from '../../src/config/schema.ts';
import { isSignrelayError } from '../../src/errors.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { findTags } from '../../src/pdf/find-tags.ts';
import { readWithPoppler } from '../../src/pdf/poppler-text.ts';
import { parseThreadStat, reapedChildrenCpuMs } from '../../src/pdf/task-deadline.ts';
import { preparePdfInProcess } from '../../src/pdf/prepare-pdf.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';
import { pdftotext } from '../pdf/pdftotext.ts';
import { waitFor } from '../support/wait-for.ts';

const EVIL = '[!Recipient.C,Eve,Evil,eve@attacker.example]';
const EVIL_SIGNER = '[!Sign.2,Mal,Lory,mal@attacker.example]';
const OWN_SIGN = '[!Sign.1,Ann,Lee,ann.lee@corp.example]';
const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
const LIMITS = { maxPages: 500, maxPdfBytes: 100e6, fileName: 'contract.pdf' };
const input = (signers: StampInput['signers']): StampInput => ({
  token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C', signers,
  request: { fileName: 'contract.pdf', subject: 'Please sign RITM0010001', record: 'RITM0010001', due: '2026-12-24', requester: 'pat@corp.example', route: 'default' },
  stamping: configSchema.shape.stamping.parse(undefined),
});

type Obj = string | { dict: string; stream: string };
/** A PDF of raw objects, numbered from 1 (1: the catalog), with a classic cross-reference table. */
function rawPdf(objects: readonly Obj[]): Uint8Array {
  let body = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets = objects.map((o, i) => {
    const at = Buffer.byteLength(body, 'latin1');
    body += typeof o === 'string' ? `${i + 1} 0 obj\n${o}\nendobj\n`
      : `${i + 1} 0 obj\n<< ${o.dict} /Length ${Buffer.byteLength(o.stream, 'latin1')} >>\nstream\n${o.stream}\nendstream\nendobj\n`;
    return at;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(body, 'latin1'));
}

const esc = (s: string) => s.replace(/[()\\]/g, '\\$&');
const HELVETICA = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
const CONTRACT = 'BT /F1 12 Tf 72 720 Td (Employment contract. The parties agree as follows.) Tj ET';

/** One page (objects 1–5: catalog, pages, page, content, Helvetica as F1), more objects from 6. */
function onePage(content: string, extra: { fonts?: string; resources?: string; objects?: Obj[]; contents?: string } = {}): Uint8Array {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${extra.contents ?? '4 0 R'} /Resources << /Font << /F1 5 0 R ${extra.fonts ?? ''} >> ${extra.resources ?? ''} >> >>`,
    { dict: '', stream: `${CONTRACT}\n${content}` },
    HELVETICA,
    ...(extra.objects ?? []),
  ]);
}

const toUnicode = (entries: string): Obj => ({
  dict: '',
  stream: `/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def /CMapType 2 def 1 begincodespacerange <00> <FF> endcodespacerange\n${entries}\nendcmap CMapName currentdict /CMap defineresource pop end end`,
});
const softMask = (tag: string) => onePage('q /GS1 gs 0 0 612 792 re f Q', {
  resources: '/ExtGState << /GS1 << /Type /ExtGState /SMask << /Type /Mask /S /Luminosity /G 6 0 R >> >> >>',
  objects: [{ dict: '/Type /XObject /Subtype /Form /Group << /S /Transparency /CS /DeviceGray >> /BBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>', stream: `BT /F1 8 Tf 60 100 Td (${esc(tag)}) Tj ET` }],
});
const glyphNames = (open: string, bang: string) => onePage(`BT /F2 10 Tf 72 600 Td (${bang === 'space' ? 'A' : 'AB'}) Tj /F1 10 Tf (${esc(EVIL.slice(2))}) Tj ET`, {
  fonts: '/F2 6 0 R',
  objects: [`<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [65 /${open} /${bang}] >> >>`],
});
const widthsWithZeroX = Array.from({ length: 256 }, (_, i) => (i === 0x58 ? 0 : 500)).join(' ');

const CASES: Array<[name: string, pdf: () => Uint8Array, tag: string]> = [
  ['a line ending in "[-" that poppler joins to the next, "!Recipient…]"',
    () => onePage(`BT /F1 10 Tf 72 600 Td (The parties agree to the terms below [-) Tj 0 -12 Td (${esc(EVIL.slice(1))} and nothing else.) Tj ET`), EVIL],
  ['a recipient tag drawn inside a soft mask\'s transparency group', () => softMask(EVIL), EVIL],
  ['an extra signer drawn inside a soft mask\'s transparency group', () => softMask(EVIL_SIGNER), EVIL_SIGNER],
  ['glyph names without ToUnicode that poppler reads as "[" and "!" (bracketleft.alt, exclam.alt)', () => glyphNames('bracketleft.alt', 'exclam.alt'), EVIL],
  ['a glyph name poppler splits into "[!" (uni005B0021)', () => glyphNames('uni005B0021', 'space'), EVIL],
  ['a ToUnicode entry mapping a zero-width character between "[" and "!" to nothing', () => onePage(`BT /F2 8 Tf 60 100 Td ([X!) Tj /F1 8 Tf (${esc(EVIL.slice(2))}) Tj ET`, {
    fonts: '/F2 6 0 R',
    objects: [`<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 0 /LastChar 255 /Widths [${widthsWithZeroX}] /Encoding /WinAnsiEncoding /ToUnicode 7 0 R >>`, toUnicode('3 beginbfchar <5B> <005B> <21> <0021> <58> <> endbfchar')],
  }), EVIL],
  ['an /ActualText string holding "#29"', () => onePage(`/Span << /ActualText (#29 ${esc(EVIL)}) >> BDC BT /F1 4 Tf 20 20 Td (.) Tj ET EMC`), EVIL],
  ['an /ActualText string split across the page\'s two content streams', () => onePage(`/Span << /ActualText (${esc(EVIL.slice(0, 10))}`, {
    contents: '[4 0 R 6 0 R]',
    objects: [{ dict: '', stream: `${esc(EVIL.slice(10))}) >> BDC BT /F1 4 Tf 20 20 Td (.) Tj ET EMC` }],
  }), EVIL],
  ['text rotated 90°, "!Recipient…]" drawn before the "[" below it', () => onePage(`BT /F1 10 Tf 0 1 -1 0 300 102.78 Tm (${esc(EVIL.slice(1))}) Tj 0 1 -1 0 300 100 Tm ([) Tj ET`), EVIL],
];

const tagsIn = (text: string) => findTags(text).map((t) => t.text);

describe('a tag only poppler reads', () => {
  it.each(CASES)('%s: real (pdftotext reads it, pdf.js does not), and refused', async (_name, build, tag) => {
    const pdf = build();
    expect(tagsIn(await pdftotext(pdf, ['-enc', 'UTF-8']))).toContain(tag); // its plain mode, which the check uses
    expect(tagsIn((await extractPdfText(pdf)).join('\n'))).not.toContain(tag);
    const err = await preparePdfInProcess(pdf, LIMITS, input([{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' }])).catch((e: unknown) => e);
    expect(isSignrelayError(err) && err.code).toBe('stamped_tags_mismatch');
    expect((err as Error).message).toContain(`tags signrelay did not write (${tag})`);
    expect((err as Error).message).toContain('by another PDF reader');
  });

  it('is refused on the path where the document names its own signers, too', async () => {
    // The soft-mask case beside a visible own [!Sign.1]: signrelay records Ann alone, the service would invite Mal.
    const pdf = onePage(`BT /F1 12 Tf 72 650 Td (Signature: ${esc(OWN_SIGN)}) Tj ET q /GS1 gs 0 0 612 792 re f Q`, {
      resources: '/ExtGState << /GS1 << /Type /ExtGState /SMask << /Type /Mask /S /Luminosity /G 6 0 R >> >> >>',
      objects: [{ dict: '/Type /XObject /Subtype /Form /Group << /S /Transparency /CS /DeviceGray >> /BBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>', stream: `BT /F1 8 Tf 60 100 Td (${esc(EVIL_SIGNER)}) Tj ET` }],
    });
    expect(tagsIn(await pdftotext(pdf, ['-enc', 'UTF-8']))).toEqual([OWN_SIGN, EVIL_SIGNER]);
    const err = await preparePdfInProcess(pdf, LIMITS, input([])).catch((e: unknown) => e);
    expect(isSignrelayError(err) && err.code).toBe('stamped_tags_mismatch');
    expect((err as Error).message).toContain(`tags signrelay did not write ([!Sign.2,Mal,Lory,mal@attacker.example])`);
  });

  it('leaves a document both readers read alike as it was: stamped, poppler finding exactly the tags written', async () => {
    const pdf = onePage(`BT /F1 10 Tf 72 600 Td (The parties agree to the terms below [see annex] and - nothing else.) Tj ET`);
    const prepared = await preparePdfInProcess(pdf, LIMITS, input([{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' }]));
    expect(tagsIn(await readWithPoppler(prepared.stamped!, 'contract.pdf'))).toEqual([
      '[!Sign.1,Ann,Lee,ann.lee@corp.example]', `[!Recipient.C,signrelay,Returns,returns+${TOKEN}@corp.example]`,
    ]);
  });
});

describe('a stamp refused before poppler has read it', () => {
  it('ends the reader at once: it does not run on beside the worker\'s next task', async () => {
    // 20,000 rotated words: pdf.js reads them in a moment, pdftotext for seconds of CPU; the
    // unterminated tag at the end makes the pdf.js reading refuse the stamp first.
    const pdf = slowForPoppler('1 0 0 1 72 40 Tm ([!Sign.2,Eve,Evil,eve@attacker.example) Tj ');
    const childrenCpuBefore = reapedChildrenCpuMs(readFileSync('/proc/self/stat', 'utf8'));
    const started = performance.now();
    const err = await preparePdfInProcess(pdf, LIMITS, input([{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' }])).catch((e: unknown) => e);
    const callMs = performance.now() - started;
    expect(isSignrelayError(err) && err.code).toBe('stamped_tags_mismatch');
    // Once it is gone and reaped, its CPU time is this process's children's. pdftotext has one
    // thread: killed when the refusal came, it cannot have used more CPU than the call lasted
    // (however busy the machine, which only stretches both); left reading, it uses the ~9 s the
    // file takes, while pdf.js refuses the stamp in a fraction of that.
    const cpuMs = (pid: string) => {
      try {
        return parseThreadStat(Number(pid), readFileSync(`/proc/${pid}/stat`, 'utf8'))?.cpuMs ?? 0;
      } catch {
        return 0;
      }
    };
    const verdict = await waitFor(() => {
      const readers = readersRunning();
      return readers.length === 0 ? 'ended' : readers.some((pid) => cpuMs(pid) > callMs + 250) ? 'reading on' : undefined;
    }, { what: 'no pdftotext left running', describe: () => readersRunning() });
    expect(verdict).toBe('ended');
    const readerCpuMs = reapedChildrenCpuMs(readFileSync('/proc/self/stat', 'utf8')) - childrenCpuBefore;
    expect(readerCpuMs, `pdftotext used ${readerCpuMs} ms of CPU; the call lasted ${Math.round(callMs)} ms`).toBeLessThanOrEqual(callMs + 250);
  });
});

describe('a worker killed while poppler reads', () => {
  it('takes its reader with it (no pdftotext left running, uncounted, beside the next worker)', async () => {
    // The same slow file, read by a process that is then SIGKILLed, as the pool kills a worker at its limit.
    const dir = mkdtempSync(join(tmpdir(), 'poppler-orphan-'));
    const pdfFile = join(dir, 'slow.pdf');
    writeFileSync(pdfFile, slowForPoppler(''));
    const script = `import { readFileSync } from 'node:fs';
      const { readWithPoppler } = await import('./src/pdf/poppler-text.ts');
      readWithPoppler(new Uint8Array(readFileSync(${JSON.stringify(pdfFile)})), 'slow.pdf').catch(() => {});
      const kids = () => readFileSync('/proc/' + process.pid + '/task/' + process.pid + '/children', 'utf8').trim();
      const look = () => (kids() ? (process.stdout.write(kids() + '\\n'), setTimeout(() => process.kill(process.pid, 'SIGKILL'), 50)) : setTimeout(look, 10));
      look();`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => child.once('close', resolve));
    const reader = Number(out.trim().split(/\s+/)[0]);
    expect(reader).toBeGreaterThan(0);
    // Gone, or a zombie waiting for init to reap it — or, left running, a second of CPU more
    // (it needs ~9): whichever comes first, on however busy a machine.
    const state = () => {
      try {
        const stat = readFileSync(`/proc/${reader}/stat`, 'utf8');
        return { dead: stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'), cpuMs: parseThreadStat(reader, stat)?.cpuMs ?? 0 };
      } catch {
        return { dead: true, cpuMs: 0 };
      }
    };
    const atDeath = state().cpuMs;
    const verdict = await waitFor(() => {
      const now = state();
      return now.dead ? 'ended' : now.cpuMs - atDeath >= 1_000 ? 'still reading' : undefined;
    }, { what: `pdftotext ${reader} ended with its parent, or reading on` });
    expect(verdict).toBe('ended');
    rmSync(dir, { recursive: true, force: true });
  });
});

/**
 * 20,000 rotated words scattered by a fixed pseudo-random sequence: pdf.js reads them in a
 * moment, pdftotext for ~9 s of CPU (its layout work grows with the scatter). `tail`: drawn last.
 */
function slowForPoppler(tail: string): Uint8Array {
  let seed = 1;
  const scatter = (span: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648 * span).toFixed(1);
  let words = 'BT /F1 3 Tf\n';
  for (let i = 0; i < 20_000; i++) {
    const [c, s] = [Math.cos(i).toFixed(3), Math.sin(i).toFixed(3)];
    words += `${c} ${s} ${(-Math.sin(i)).toFixed(3)} ${c} ${scatter(600)} ${scatter(780)} Tm (${String.fromCharCode(97 + (i % 26))}${i % 7}) Tj\n`;
  }
  return onePage(`${words}${tail}ET`);
}

/** This process's children that are pdftotext. */
function readersRunning(): string[] {
  return readdirSync(`/proc/${process.pid}/task`)
    .flatMap((tid) => readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'pdftotext';
      } catch {
        return false;
      }
    });
}

describe('without poppler', () => {
  it('says what to install, as an operator\'s error (the mail waits), never a stack trace', async () => {
    // A PATH with prlimit but no pdftotext.
    const dir = mkdtempSync(join(tmpdir(), 'no-poppler-'));
    symlinkSync('/usr/bin/prlimit', join(dir, 'prlimit'));
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      const err = await readWithPoppler(onePage(''), 'contract.pdf').catch((e: unknown) => e);
      expect(isSignrelayError(err) && [err.kind, err.code]).toEqual(['config', 'pdftotext_missing']);
      expect((err as Error).message).toBe('pdftotext (poppler-utils) is not installed, and signrelay reads every stamped PDF with it before sending it: install it (Debian: apt-get install poppler-utils util-linux)');
      // signrelay check says it with the fix.
      expect(await pdfReaderCheckItem().run()).toEqual({
        ok: false, detail: (err as Error).message,
        fix: 'until it works no request PDF is sent: their mails wait in the request folder and go on once it does',
      });
      process.env.PATH = join(dir, 'nothing-here');
      const noPrlimit = await readWithPoppler(onePage(''), 'contract.pdf').catch((e: unknown) => e);
      expect(isSignrelayError(noPrlimit) && noPrlimit.code).toBe('pdftotext_missing');
    } finally {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
