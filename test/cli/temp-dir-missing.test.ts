// `signrelay demo` and `signrelay sandbox` — the first commands a new operator runs — under a
// TMPDIR that names no directory printed "unexpected error (a bug — please report it)" and a
// stack trace (env review L3). They now say what to fix; sandbox also that --dir avoids it.
import { describe, expect, it } from 'vitest';
import { bareEnv, runCli, STACK_FRAME } from './helpers.ts';

describe('demo and sandbox under a missing TMPDIR', () => {
  it.each([
    ['demo', ''],
    ['sandbox', '; or pass --dir DIR'],
  ])('%s: one line naming it and the fix, no stack', async (command, more) => {
    const r = await runCli([command], { env: bareEnv({ TMPDIR: '/nonexistent/signrelay-tmp' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the temp directory /nonexistent/signrelay-tmp cannot be used (ENOENT): create it, or set TMPDIR to a writable directory (or unset it)${more}`);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stderr).not.toContain('a bug');
  });
});
