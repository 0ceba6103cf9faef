// The temp directory item of `signrelay check`: the directory (TMPDIR) PDFs of 1 MiB or more go
// through to and from the PDF workers (src/pdf/spill-bytes.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeBytesAt } from '../store/open-database.ts';
import type { CheckItem } from './checklist.ts';

/**
 * The temp directory (TMPDIR) PDFs of 1 MiB or more go through to and from the PDF workers
 * (spill-bytes.ts): one that is missing, not writable or nearly full makes every such request
 * wait, while smaller ones go through (env review M2). Made and removed, as the pool does.
 */
export function tempDirCheckItem(maxPdfBytes: number): CheckItem {
  return {
    title: 'temp directory',
    async run() {
      const root = tmpdir();
      try {
        rmSync(mkdtempSync(join(root, 'signrelay-check-')), { recursive: true, force: true });
      } catch (err) {
        return {
          ok: false, detail: `${root} cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'}): PDFs of 1 MB or more go through it to the PDF workers`,
          fix: 'create it, writable by the service\'s user, or set TMPDIR to a directory that is (under signrelay.service, PrivateTmp= gives it its own /tmp); until then such requests wait',
        };
      }
      const free = freeBytesAt(root);
      const needed = 3 * maxPdfBytes;
      const detail = free === null ? root : `${root}, ${Math.floor(free / (1024 * 1024))} MB free`;
      return free === null || free >= needed ? { ok: true, detail }
        : { ok: true, detail, warnings: [`less than ${Math.ceil(needed / (1024 * 1024))} MB free: a PDF of limits.max_pdf_bytes and its stamped copy may not fit while a worker reads them — free space, or set TMPDIR elsewhere`] };
    },
  };
}
