// The example configuration is found where signrelay is installed, whatever characters the
// path holds: a URL's pathname keeps a space as `%20` (init then failed with ENOENT, "a bug").
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'signrelay-install-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('is a file path under an install directory with a space and a percent sign in its name', async () => {
  const install = join(root, 'Program Files 100%', 'signrelay');
  mkdirSync(join(install, 'src', 'config'), { recursive: true });
  mkdirSync(join(install, 'config'), { recursive: true });
  cpSync(new URL('../../src/config/config-path.ts', import.meta.url), join(install, 'src', 'config', 'config-path.ts'));
  cpSync(new URL('../../src/service-unit.ts', import.meta.url), join(install, 'src', 'service-unit.ts')); // where DEFAULT_CONFIG_PATH is defined
  cpSync(new URL('../../config/signrelay.example.yaml', import.meta.url), join(install, 'config', 'signrelay.example.yaml'));
  const { EXAMPLE_CONFIG_PATH } = await import(pathToFileURL(join(install, 'src', 'config', 'config-path.ts')).href) as { EXAMPLE_CONFIG_PATH: string };
  expect(EXAMPLE_CONFIG_PATH).toBe(join(install, 'config', 'signrelay.example.yaml'));
  expect(existsSync(EXAMPLE_CONFIG_PATH)).toBe(true);
});
