// Where the configuration comes from: --config FILE, else $SIGNRELAY_CONFIG, else the
// system path. One rule for every command.
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG_PATH } from '../service-unit.ts';

// Defined beside operatorCommand, whose hints name a configuration only when it is not this one.
export { DEFAULT_CONFIG_PATH };
// A path, not a URL's pathname: installed under a directory with a space (or any character a URL escapes), that kept `%20`.
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../config/signrelay.example.yaml', import.meta.url));

export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return namedConfigPath(flag, env) ?? DEFAULT_CONFIG_PATH;
}

/**
 * The configuration named by --config or $SIGNRELAY_CONFIG (which --name sets), or none: for
 * the commands that work without one (explain, stamp), which then use the example's or the
 * schema's settings — never those when one was named.
 */
export function namedConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? env.SIGNRELAY_CONFIG;
}
