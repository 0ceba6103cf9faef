// Every secret value in a loaded configuration, for the logger to mask wherever it
// appears. The list of secret settings is secret-settings.ts.
import type { Config } from './schema.ts';
import { secretSettings } from './secret-settings.ts';

export function secretsOf(config: Config): string[] {
  return secretSettings(config).map((s) => s.value);
}
