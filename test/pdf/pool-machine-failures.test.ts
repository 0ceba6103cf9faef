// The machine failing the PDF pool, not the PDF: a temp directory that is gone (or full)
// when a large PDF is to be handed to its worker is a transient failure naming the directory
// — the mail waits, uncounted — not the mail's own failure, which five times over filed it in
// Rejected unanswered. Run in a process of its own, whose TMPDIR names no directory.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = `
  const { inspectPdf } = await import(${JSON.stringify(join(ROOT, 'src/pdf/pdf-tasks.ts'))});
  const { failureKind } = await import(${JSON.stringify(join(ROOT, 'src/mail/with-attempt-limit.ts'))});
  const { scannedPdf } = await import(${JSON.stringify(join(ROOT, 'test/pdf/make-pdf.ts'))});
  const pdf = await scannedPdf(1_300_000);
  try {
    await inspectPdf(pdf, { maxPages: 50, maxPdfBytes: 20 << 20, fileName: 'scan.pdf' });
    console.log(JSON.stringify({ outcome: 'ok' }));
  } catch (err) {
    console.log(JSON.stringify({ outcome: 'refused', message: err.message, code: err.code ?? null, kind: failureKind(err) }));
  }
  process.exit(0);`;

describe('the PDF pool when the machine fails it', () => {
  it('takes a temp directory that is gone for the machine\'s failure, naming it', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { encoding: 'utf8', env: { PATH: process.env.PATH, TMPDIR: '/nonexistent/tmp' } });
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(out).toMatchObject({ outcome: 'refused', code: 'pdf_worker_unavailable', kind: 'infrastructure' });
    expect(out.message).toMatch(/^the PDF could not be handed to its worker through the temp directory \/nonexistent\/tmp: .*ENOENT.*; the work waits and is tried again$/);
  });
});
