// How the sandbox tells a person to run this signrelay: `signrelay` only where the PATH finds
// this very copy by that name (an install's bin link); another release on the PATH, or none,
// gets this copy's launcher by its path (diff review 15 L5).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { shellCommand } from '../../src/cli-io/shell-command.ts';

const LAUNCHER = new URL('../../bin/signrelay.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'shell-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('names this copy\'s launcher without a signrelay on PATH, or with another one first', () => {
  expect(shellCommand({ PATH: '/nonexistent' })).toBe(`node ${LAUNCHER}`);
  const other = join(dir, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'signrelay'), '#!/bin/sh\necho an older release\n');
  chmodSync(join(other, 'signrelay'), 0o755);
  expect(shellCommand({ PATH: other })).toBe(`node ${LAUNCHER}`);
});

it('says signrelay where the PATH finds this copy by that name (an install\'s bin link)', () => {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(LAUNCHER, join(bin, 'signrelay'));
  expect(shellCommand({ PATH: `${join(dir, 'missing')}:${bin}` })).toBe('signrelay');
});
