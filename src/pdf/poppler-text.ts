// A second, independent reading of a stamped PDF's text: poppler's pdftotext (Debian's
// poppler-utils), the extractor behind many PDF tools. The signing service reads tags from
// whatever text its own parser finds, and no two parsers read every file alike: pdf.js and
// poppler differ in what they enter (a soft mask's transparency group), how they name glyphs
// a font gives no Unicode for (`bracketleft.alt`, `uni005B0021`), what an empty ToUnicode
// entry yields, how they join lines (a line ending in `[-` joined with `!Recipient…`) and how
// they order rotated text — each of which carried a tag past checks that read with pdf.js
// alone (test/security/second-reader.test.ts). So the stamped file is read by both, and a tag
// either finds that signrelay did not write is refused (stamp-pdf.ts).
//
// pdftotext runs in its own process, bounded like the PDF worker: CPU time (the kernel ends it
// past its limit: RLIMIT_CPU), address space and output size, given through util-linux's
// prlimit. It reads the file from stdin and writes UTF-8 text to stdout, pages separated by
// form feeds.
import { spawn } from 'node:child_process';
import { SignrelayError } from '../errors.ts';
import { killedFromOutsideError, OUTSIDE_SIGNALS, tooComplexPdfError, uncheckableContentError } from './pdf-errors.ts';

/** CPU seconds pdftotext may use on one file (the PDF worker's own default task time). */
const POPPLER_CPU_SECONDS = 20;
/** Address space it may map: poppler and its libraries take ~100 MB of it before any page. */
const POPPLER_ADDRESS_SPACE_BYTES = 1024 * 1024 * 1024;
/** The most text it may print: more is a file built to exhaust the reader. */
const POPPLER_MAX_TEXT_BYTES = 64 * 1024 * 1024;
/** A backstop on the clock for a reader that neither runs nor ends (CPU time does not pass). */
const POPPLER_WALL_MS = 5 * 60_000;

/** What poppler says of a page it could not build (and so left out of its text). */
const SKIPPED_PAGE = /Failed to create page/;

/** The command run: prlimit's limits, then pdftotext reading stdin. */
function popplerCommand(): { file: string; args: string[] } {
  return {
    file: 'prlimit',
    // setpriv (util-linux too): killed with the worker that started it — a worker killed at its
    // limit must not leave its reader running, uncounted, beside the next one.
    args: [`--cpu=${POPPLER_CPU_SECONDS}`, `--as=${POPPLER_ADDRESS_SPACE_BYTES}`, '--', 'setpriv', '--pdeathsig', 'KILL', '--', 'pdftotext', '-enc', 'UTF-8', '-', '-'],
  };
}

/** What to install when pdftotext or prlimit is missing. */
function popplerMissingError(what: string): SignrelayError {
  return new SignrelayError('config', 'pdftotext_missing',
    `${what} is not installed, and signrelay reads every stamped PDF with it before sending it: install it (Debian: apt-get install poppler-utils util-linux)`);
}

/**
 * The text poppler reads in `pdf`; a file it cannot read within its limits is refused, never
 * sent unchecked. `signal` ends the reader when its answer is no longer wanted (the stamp was
 * refused first): it must not run on, uncounted, beside the worker's next task.
 */
export function readWithPoppler(pdf: Uint8Array, fileName: string | undefined, signal?: AbortSignal): Promise<string> {
  const { file, args } = popplerCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let outlasted = false;
    const backstop = setTimeout(() => {
      outlasted = true;
      child.kill('SIGKILL');
    }, POPPLER_WALL_MS);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooMuch = false;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > POPPLER_MAX_TEXT_BYTES) {
        tooMuch = true;
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
    });
    // Its messages (not quieted with -q) say when it gave up a page: it then prints nothing of
    // that page, text included, and exits 0 — a page with more than 10,000 annotations hid a
    // tag from both readers so (fuzz review M1). Looked for in a window that spans chunks.
    let skippedPage = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      skippedPage ||= SKIPPED_PAGE.test(stderr.slice(-100) + text);
      stderr = (stderr + text).slice(-500);
    });
    // A reader that dies before taking all of its input closes the pipe: its exit says why.
    child.stdin.on('error', () => {});
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(backstop);
      if (err.name === 'AbortError') return reject(err);
      reject(err.code === 'ENOENT' ? popplerMissingError('prlimit (util-linux)') : err);
    });
    child.once('close', (code, killedBy) => {
      clearTimeout(backstop);
      if (signal?.aborted) return reject(new Error('the second reader was stopped: its answer is no longer wanted'));
      if (tooMuch) return reject(tooComplexPdfError(fileName, `its text runs to more than ${POPPLER_MAX_TEXT_BYTES / (1024 * 1024)} MB`));
      // The kernel ends it at its CPU limit with SIGXCPU; a SIGKILL not ours (the machine out of
      // memory) says little about the file: the mail is tried again, not refused — a counted
      // attempt, as a worker killed under its task is, for the file may be what made it grow
      // (under a memory limit it is the OOM killer's first choice: it inherits the worker's
      // oom_score_adj), and an uncounted one would be tried for ever.
      if (killedBy === 'SIGXCPU' || outlasted) return reject(tooComplexPdfError(fileName, `reading it takes more than ${POPPLER_CPU_SECONDS} s`));
      if (killedBy === 'SIGKILL') return reject(killedFromOutsideError('pdftotext_killed', 'the second PDF reader (pdftotext) was killed from outside, most likely for memory (MemoryMax=, dmesg): the mail is tried again a few times'));
      // A stop's signal (a unit stopped with KillMode=control-group, an operator): nothing about the file.
      if (killedBy !== null && OUTSIDE_SIGNALS.has(killedBy)) return reject(killedFromOutsideError('pdftotext_killed', `the second PDF reader (pdftotext) was ended from outside (${killedBy}): the mail is tried again`));
      if (code === 0 && skippedPage) return reject(uncheckableContentError(fileName, 'a second PDF reader (poppler) could not read one of its pages'));
      if (code === 0) return resolve(Buffer.concat(chunks).toString('utf8'));
      // prlimit says it could not run the command (127: not found, 126: not executable).
      if (code === 127 || code === 126) return reject(popplerMissingError('pdftotext (poppler-utils)'));
      // Out of address space, poppler aborts (bad_alloc); another signal (a crash) is not that.
      if (killedBy === 'SIGABRT' || /bad_alloc|out of memory|Cannot allocate/i.test(stderr)) {
        return reject(tooComplexPdfError(fileName, `reading it needs more than ${POPPLER_ADDRESS_SPACE_BYTES / (1024 * 1024)} MB of memory`));
      }
      reject(uncheckableContentError(fileName, 'a second PDF reader (poppler) could not read it', new Error(`pdftotext exit code ${code}: ${stderr.trim()}`)));
    });
    child.stdin.end(pdf);
  });
}

/** A one-page PDF reading "signrelay": what the installation is tried with (made when asked: every PDF worker loads this module). */
function probePdf(): Uint8Array {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    '<< /Length 39 >>\nstream\nBT /F1 12 Tf 20 50 Td (signrelay) Tj ET\nendstream',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets = objects.map((o, i) => {
    const at = body.length;
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  return new Uint8Array(Buffer.from(`${body}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`, 'latin1'));
}

/** Whether the second reader works here: undefined, or what is wrong and how to fix it. */
export async function popplerProblem(): Promise<string | undefined> {
  try {
    const text = await readWithPoppler(probePdf(), 'a test PDF');
    return text.includes('signrelay') ? undefined : `pdftotext read a test PDF as ${JSON.stringify(text.slice(0, 40))}: reinstall poppler-utils`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
