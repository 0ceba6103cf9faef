// What `check` prints quotes servers (an error answer, an account's plan): escaped, and
// indented under its check, so no answer can redraw a line or forge a ✓.
import { describe, expect, it } from 'vitest';
import { formatCheckLine } from '../../src/checks/checklist.ts';

describe('a check line', () => {
  it('prints a server\'s control characters escaped and its line breaks indented under the check', () => {
    const hostile = '\u001b]0;owned\u0007\u001b[2K\r✓ ServiceNow: signrelay.integration may read sc_req_item\u202e';
    const printed = formatCheckLine({ title: 'ServiceNow', ok: false, detail: `HTTP 400: ${hostile}\n✓ provider: fine`, fix: 'look at it\u2028✓ forged', warnings: ['w\u001b[31m'] });
    expect(printed).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e\u2028]/);
    expect(printed.split('\n').filter((line) => line.startsWith('✓'))).toEqual([]); // nothing forged at the start of a line
    expect(printed).toContain('HTTP 400: \\x1b]0;owned\\x07\\x1b[2K\\r✓ ServiceNow: signrelay.integration may read sc_req_item\\u202e\n      ✓ provider: fine');
    expect(printed).toContain('\n    warning: w\\x1b[31m');
    expect(printed).toContain('\n    fix: look at it\\u2028✓ forged');
  });

  it('keeps signrelay\'s own multi-line details readable', () => {
    expect(formatCheckLine({ title: 'configuration', ok: false, detail: 'signrelay.yaml has 2 problems:\n  a: x\n  b: y', fix: 'correct them' }))
      .toBe('✗ configuration: signrelay.yaml has 2 problems:\n        a: x\n        b: y\n    fix: correct them');
  });
});
