// `check`'s temp directory item (env review M2): PDFs of 1 MiB or more go to and from the PDF
// workers through TMPDIR; one that is missing or not writable made every such request wait while
// `check` said all was well. The item makes and removes a directory there, as the pool does.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirCheckItem } from '../../src/checks/check-temp-dir.ts';

const saved = process.env.TMPDIR;
afterEach(() => {
  if (saved === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = saved;
});

describe('the temp directory item', () => {
  it('a writable one: ✓ with its free space, nothing left in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-check-tmp-'));
    try {
      process.env.TMPDIR = dir;
      const result = await tempDirCheckItem(1024).run();
      expect(result).toMatchObject({ ok: true, detail: expect.stringMatching(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, \\d+ MB free$`)) });
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing one: ✗ naming it, what goes through it and the fix', async () => {
    process.env.TMPDIR = '/nonexistent/signrelay-tmp';
    expect(await tempDirCheckItem(1024).run()).toEqual({
      ok: false,
      detail: '/nonexistent/signrelay-tmp cannot be written (ENOENT): PDFs of 1 MB or more go through it to the PDF workers',
      fix: 'create it, writable by the service\'s user, or set TMPDIR to a directory that is (under signrelay.service, PrivateTmp= gives it its own /tmp); until then such requests wait',
    });
  });

  it('less room than a largest PDF and its stamped copy need: a warning', async () => {
    const result = await tempDirCheckItem(Number.MAX_SAFE_INTEGER / 4).run();
    expect(result).toMatchObject({ ok: true, warnings: [expect.stringContaining('a PDF of limits.max_pdf_bytes and its stamped copy may not fit')] });
  });
});
