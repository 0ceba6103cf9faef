// The layers of .dependency-cruiser.cjs hold in src/: no import cycle, no folder importing
// a folder of its own layer or of a higher one, the simulators started only by `demo` and
// `sandbox`, nothing in src/ that only tests use. And the rules are not blind: a small tree
// that breaks each of them is caught.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';

const ROOT = new URL('../../', import.meta.url).pathname;
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as IConfiguration;

async function violations(baseDir: string, atLeastModules = 1): Promise<string[]> {
  const previous = process.cwd();
  process.chdir(baseDir);
  try {
    const result = await cruise(['src'], {
      validate: true, ruleSet: { forbidden: config.forbidden ?? [] }, tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' }, exclude: { path: 'node_modules' },
      ...(config.options?.enhancedResolveOptions ? { enhancedResolveOptions: config.options.enhancedResolveOptions } : {}),
    });
    const output = result.output as ICruiseResult;
    // Every module was read (an import the cruiser cannot resolve would hide what is behind it).
    expect(output.summary.totalCruised).toBeGreaterThanOrEqual(atLeastModules);
    expect(output.modules.filter((m) => m.source.startsWith('src/')).flatMap((m) => m.dependencies).filter((d) => d.couldNotResolve)).toEqual([]);
    return (output.summary.violations).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  } finally {
    process.chdir(previous);
  }
}

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the layers', () => {
  it('hold in src/', async () => {
    expect(await violations(ROOT, 250)).toEqual([]);
  }, 180_000);

  it('catch a cycle, an import upwards or sideways, the sandbox used by the daemon, and a module only tests use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-layers-'));
    temps.push(dir);
    const files: Record<string, string> = {
      'src/cli.ts': "import './commands/run.ts';\n",
      'src/commands/run.ts': "import '../daemon.ts';\n",
      'src/daemon.ts': "import './intake/a.ts';\nimport './sandbox/sim.ts';\n",
      'src/intake/a.ts': "import './b.ts';\nimport '../completion/c.ts';\n",
      'src/intake/b.ts': "import './a.ts';\n",
      'src/completion/c.ts': 'export const c = 1;\n',
      'src/config/schema.ts': "import '../intake/a.ts';\n",
      'src/sandbox/sim.ts': 'export const sim = 1;\n',
      'src/pdf/pdf-worker.ts': 'export const worker = 1;\n',
      'src/store/only-tests-use-me.ts': 'export const helper = 1;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const found = await violations(dir);
    expect(found).toEqual(expect.arrayContaining([
      'no-circular: src/intake/a.ts -> src/intake/b.ts',
      'layer:intake: src/intake/a.ts -> src/completion/c.ts',
      'layer:config: src/config/schema.ts -> src/intake/a.ts',
      'sandbox-only-from-its-commands: src/daemon.ts -> src/sandbox/sim.ts',
      'no-test-helper-in-src: src/store/only-tests-use-me.ts -> src/store/only-tests-use-me.ts',
    ]));
  }, 180_000);
});
