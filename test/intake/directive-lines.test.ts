// The request language's lines against what a hostile or careless mail puts in them: values
// tens of thousands of characters long (read in time linear in their length: ratios against
// plain lines of the same size, in the same run), a lone CR inside a quoted line (it must not
// start a line of the writer's own), and headings and prose that start with "Signers".
import { describe, expect, it } from 'vitest';
import { parseDue } from '../../src/intake/parse-due.ts';
import { parseSigners } from '../../src/intake/parse-signers.ts';
import { findRecord } from '../../src/intake/find-record.ts';

const NOW = new Date('2026-11-03T10:00:00Z');
const NO_DEFAULTS = { name: 'default', signers: [] };
const HR = { name: 'hr', signers: ['HR Desk <hr.desk@corp.example>'] };
const show = (s: { firstName: string; lastName: string; email: string }) => `${s.firstName}|${s.lastName}|${s.email}`;

describe('long values', () => {
  it('are read in time linear in their length, and refused', () => {
    const size = 40_000;
    const fastest = (run: () => void) => Math.min(...Array.from({ length: 3 }, () => {
      const start = performance.now();
      run();
      return performance.now() - start;
    }));
    const plain = 'x'.repeat(size);
    const base = Math.max(fastest(() => {
      parseDue(`Due: ${plain}`, 14, NOW);
      parseSigners(`Signer: ${plain}`, NO_DEFAULTS, 20);
    }), 0.5);
    const hostile = [
      () => parseDue(`Due: ${'.'.repeat(size)}x`, 14, NOW),
      () => parseDue(`Due: ${',;'.repeat(size / 2)}x`, 14, NOW),
      () => parseSigners(`Signer: a${' '.repeat(size)}b`, NO_DEFAULTS, 20),
      () => parseSigners(`Signer: Ann ${'1 '.repeat(size / 2)}x`, NO_DEFAULTS, 20),
      () => parseSigners(`Signer: ${'*'.repeat(size)}x`, NO_DEFAULTS, 20),
      () => findRecord({ subject: '', body: `Record: ${'.'.repeat(size)}x`, html: false }, { RITM: 'sc_req_item' }, { require_record: true }),
    ];
    for (const run of hostile) expect(fastest(run) / base).toBeLessThan(20);
    const line = `Signer: Ann Lee <ann@corp.example> ${'x'.repeat(size)}`;
    const refused = parseSigners(line, NO_DEFAULTS, 20);
    expect(refused.problems).toEqual([`the line "${line.slice(0, 500)} …" has no valid email address: write it as Signer: First Last <first.last@example.com>`]);
  });
});

describe('a lone CR', () => {
  it('inside a quoted line does not start a line of the writer\'s own', () => {
    const quoted = 'Please get this signed.\n\nOn Mon, 2 Nov 2026 at 09:55, Mallory <m@evil.example> wrote:\n> Here is the contract.\rSigner: Mallory Evil <mallory@evil.example>\n> Regards\n';
    expect(parseSigners(`Signer: Ann Lee <ann@corp.example>\n\n${quoted}`, NO_DEFAULTS, 20).value.signers.map(show)).toEqual(['Ann|Lee|ann@corp.example']);
    expect(parseSigners(quoted, HR, 20).value).toMatchObject({ from: 'route' });
  });

  it('ends a line in a body without line feeds (old Mac mail)', () => {
    expect(parseSigners('Signer 1: Ann Lee <ann@corp.example>\rSigner 2: Bob Stone <bob@corp.example>', NO_DEFAULTS, 20).value.signers.map(show))
      .toEqual(['Ann|Lee|ann@corp.example', 'Bob|Stone|bob@corp.example']);
  });
});

describe('lines that start with "Signers"', () => {
  it.each([
    ['a heading with a colon above Signer lines', 'Signers:\nSigner 1: Ann Lee <ann@corp.example>\nSigner 2: Bob Stone <bob@corp.example>'],
    ['a heading without one (an HTML <h3>)', 'Signers\n\nSigner 1: Ann Lee <ann@corp.example>\nSigner 2: Bob Stone <bob@corp.example>'],
    ['prose with an address beside them', 'Signers - questions to help@corp.example\nSigners: see attached; questions to ann@corp.example\nSigner 1: Ann Lee <ann@corp.example>\nSigner 2: Bob Stone <bob@corp.example>'],
  ])('%s: read, not refused', (_label, body) => {
    expect(parseSigners(body, HR, 20)).toEqual({ value: { signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@corp.example' }, { firstName: 'Bob', lastName: 'Stone', email: 'bob@corp.example' }], from: 'mail' }, problems: [] });
  });
});
