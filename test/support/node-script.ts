// Runs an ES-module script in a fresh Node process, from the repository root (so it can
// import './src/…'), and returns its trimmed stdout. For what Node reads only at start
// (NODE_EXTRA_CA_CERTS) and for limits that must not hit the test runner itself (ulimit,
// given as a bash `shellPrefix` run before Node replaces the shell).
import { execFile } from 'node:child_process';

export function runNodeScript(script: string, options: { env?: NodeJS.ProcessEnv; shellPrefix?: string } = {}): Promise<string> {
  const node = ['--input-type=module', '-e', script];
  const [file, args] = options.shellPrefix
    ? ['bash', ['-c', `${options.shellPrefix}; exec "${process.execPath}" --input-type=module -e "$0"`, script]]
    : [process.execPath, node];
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: options.env ?? process.env, cwd: process.cwd() }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
  });
}
