// A new release installed under a running daemon (`npm install -g` before the restart): the
// daemon's code stays in memory, but a PDF worker it started afterwards loaded the new files —
// or half-written ones — and two releases' tasks and answers need not agree. The pool starts no
// worker once the worker's module changed; the work waits for the restart. Proved on a copy of
// the sources (the checkout's own files are not changed under the other tests).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sameFileAs } from '../../src/pdf/worker-release.ts';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'signrelay-release-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sameFileAs', () => {
  it('holds while the file is untouched, and not once it was replaced, rewritten or removed', () => {
    const file = join(dir, 'worker.js');
    writeFileSync(file, 'one');
    const same = sameFileAs(file);
    expect(same()).toBe(true);
    expect(same()).toBe(true);
    writeFileSync(`${file}.new`, 'one');
    renameSync(`${file}.new`, file); // as npm extracts a package: a new file, the same bytes
    expect(same()).toBe(false);

    const rewritten = sameFileAs(file);
    writeFileSync(file, 'two, longer');
    expect(rewritten()).toBe(false);

    const removed = sameFileAs(file);
    unlinkSync(file);
    expect(removed()).toBe(false);
    expect(sameFileAs(file)()).toBe(false); // never there: nothing to start
  });
});

describe('the pool, after its worker module changed', () => {
  it('answers the next task with the machine\'s failure that names the restart, and starts no worker of the other release', async () => {
    const copy = join(dir, 'signrelay');
    cpSync(join(root, 'src'), join(copy, 'src'), { recursive: true });
    cpSync(join(root, 'package.json'), join(copy, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    const script = join(copy, 'upgrade.ts');
    writeFileSync(script, `
      import { readFileSync, renameSync, writeFileSync } from 'node:fs';
      import { endIdlePdfWorkers, pdfPoolStatus, runPdfTask, startPdfPool, stopPdfPool } from './src/pdf/pdf-pool.ts';
      const bytes = new Uint8Array(readFileSync(${JSON.stringify(join(root, 'fixtures', 'pdf', 'sample-contract.pdf'))}));
      startPdfPool({ workers: 1, minWorkers: 1 });
      const before = await runPdfTask({ op: 'token', bytes }, 'a.pdf').then(() => 'answered', (err) => err.code);
      const worker = './src/pdf/pdf-worker.ts';
      writeFileSync(worker + '.new', readFileSync(worker));
      renameSync(worker + '.new', worker);
      const kept = await runPdfTask({ op: 'token', bytes }, 'b.pdf').then(() => 'answered', (err) => err.code);
      endIdlePdfWorkers();
      const started = pdfPoolStatus().started;
      const after = await runPdfTask({ op: 'token', bytes }, 'c.pdf').then(() => ({ code: 'answered' }), (err) => ({ code: err.code, kind: err.kind, message: err.message }));
      console.log(JSON.stringify({ before, kept, after, startedAfter: pdfPoolStatus().started - started }));
      stopPdfPool();
      endIdlePdfWorkers();
    `);
    const child = spawn(process.execPath, [script], { cwd: copy, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    // The warm worker of the daemon's own release still serves; none of the other is started.
    expect(result.before).toBe('answered');
    expect(result.kept).toBe('answered');
    expect(result.after).toMatchObject({ code: 'pdf_worker_unavailable', kind: 'transient' });
    expect(result.after.message).toContain('a PDF worker started now would run other code than the daemon\'s — restart signrelay to run the new release; the work waits and is tried again');
    expect(result.startedAfter).toBe(0);
    expect(readFileSync(join(copy, 'src', 'pdf', 'pdf-worker.ts'), 'utf8')).toBe(readFileSync(join(root, 'src', 'pdf', 'pdf-worker.ts'), 'utf8'));
  });
});
