// Where the configuration comes from: --config FILE, else $SIGNRELAY_CONFIG, else the
// system path. One rule for every command.
export const DEFAULT_CONFIG_PATH = '/etc/signrelay/signrelay.yaml';
export const EXAMPLE_CONFIG_PATH = new URL('../../config/signrelay.example.yaml', import.meta.url).pathname;

export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.SIGNRELAY_CONFIG ?? DEFAULT_CONFIG_PATH;
}
