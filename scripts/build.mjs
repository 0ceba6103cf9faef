// `npm run build` (and `npm pack`, before it packs): src/ compiled to JavaScript in dist/
// (tsconfig.build.json: .ts import specifiers rewritten to .js), plus what the code reads
// beside itself at run time — the database migrations. tsc only emits here (`--noCheck`: the
// same JavaScript, in half the time); `npm test` and `npm run typecheck` check the types.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // A fresh clone: `npm pack` runs this before anything was installed.
  console.error('the build needs the development dependencies (typescript): run npm ci first, then npm pack (or npm run build) again');
  process.exit(1);
}
rmSync(`${root}/dist`, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', `${root}/tsconfig.build.json`, '--noCheck'], { stdio: ['ignore', 2, 2] });
cpSync(`${root}/src/store/migrations`, `${root}/dist/store/migrations`, { recursive: true });
console.error('built dist/');
