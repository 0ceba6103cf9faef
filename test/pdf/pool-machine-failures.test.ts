// The machine failing the PDF pool, not the PDF: a temp directory that is gone (or full)
// when a large PDF is to be handed to its worker is a transient failure naming the directory
// — the mail waits, uncounted — not the mail's own failure, which five times over filed it in
// Rejected unanswered. Run in a process of its own, whose TMPDIR names no directory. The same
// inside the worker (env review M1): a temp directory with room for the PDF handed to the
// worker but not for the stamped one it hands back (a real 2 MB tmpfs, in a mount namespace
// of its own), and an operator's NODE_OPTIONS the worker's PDF readers do not survive.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = `
  const { inspectPdf } = await import(${JSON.stringify(join(ROOT, 'src/pdf/pdf-tasks.ts'))});
  const { failureKind } = await import(${JSON.stringify(join(ROOT, 'src/mail/with-attempt-limit.ts'))});
  const { preparePdf } = await import(${JSON.stringify(join(ROOT, 'src/pdf/pdf-tasks.ts'))});
  const { configSchema } = await import(${JSON.stringify(join(ROOT, 'src/config/schema.ts'))});
  const { scannedPdf } = await import(${JSON.stringify(join(ROOT, 'test/pdf/make-pdf.ts'))});
  const pdf = await scannedPdf(1_300_000);
  const limits = { maxPages: 50, maxPdfBytes: 20 << 20, fileName: 'scan.pdf' };
  const token = 'k7q2mzx4bd5fh6jn3wpa';
  const input = {
    token, returnAddress: 'returns+' + token + '@corp.example', recipientLetter: 'C',
    signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' }],
    request: { fileName: 'scan.pdf', subject: 'Please sign RITM0010001', record: 'RITM0010001', due: '2026-12-24', requester: 'pat@corp.example', route: 'default' },
    stamping: configSchema.shape.stamping.parse(undefined),
  };
  try {
    await (process.argv.includes('prepare') ? preparePdf(pdf, limits, input) : inspectPdf(pdf, limits));
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

  it('takes a temp directory the stamped PDF does not fit in, inside the worker, for the machine\'s failure', () => {
    const tiny = mkdtempSync(join(tmpdir(), 'signrelay-tiny-tmp-'));
    try {
      // 2 MB: room for the 1.3 MB PDF handed to the worker, not for the larger stamped one it hands back.
      const run = spawnSync('unshare', ['--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=2m tmpfs "$1" && exec "$2" --input-type=module -e "$3" prepare',
        'sh', tiny, process.execPath, SCRIPT], { encoding: 'utf8', env: { PATH: process.env.PATH, TMPDIR: tiny } });
      const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
      expect(out).toMatchObject({ outcome: 'refused', code: 'pdf_worker_unavailable', kind: 'infrastructure' });
      expect(out.message).toMatch(/^the PDF worker could not write its answer to the temp directory .*: .*ENOSPC.*: the disk is full — free space .*; the work waits and is tried again$/);
    } finally {
      rmSync(tiny, { recursive: true, force: true });
    }
  });

  it('takes PDF readers that cannot be loaded (an operator\'s NODE_OPTIONS) for the machine\'s failure, with the error line', () => {
    // The daemon's side runs without the flag (it survives it); the workers it forks inherit it.
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', `process.env.NODE_OPTIONS = '--frozen-intrinsics'; ${SCRIPT}`],
      { encoding: 'utf8', env: { PATH: process.env.PATH, TMPDIR: process.env.TMPDIR } });
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(out).toMatchObject({ outcome: 'refused', code: 'pdf_worker_unavailable', kind: 'infrastructure' });
    expect(out.message).toMatch(/^the PDF worker could not start its PDF readers \(exit code 78\): signrelay-pdf-worker: could not load the PDF readers: .+ — check NODE_OPTIONS and the installation; the work waits and is tried again$/);
  });
});
