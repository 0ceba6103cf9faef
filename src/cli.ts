#!/usr/bin/env node
// signrelay's command line: parses the command name and hands the rest to the command's
// module. Expected failures (SignrelayError) print one clear line and exit non-zero;
// only a bug prints a stack trace.
import { instanceOf } from './config/instance.ts';
import { isSignrelayError } from './errors.ts';

interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const io = { stdout: process.stdout, stderr: process.stderr };

const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'run the daemon (watch the request mailbox, submit requests)',
    run: async (args) => (await import('./commands/run.ts')).runDaemonCommand(args, io),
  },
  stamp: {
    summary: 'stamp smart tags into a PDF exactly as the daemon would',
    run: async (args) => (await import('./commands/stamp.ts')).runStampCommand(args, io),
  },
  demo: {
    summary: 'run the request path end to end on embedded servers (nothing to install or configure)',
    run: async (args) => (await import('./commands/demo.ts')).runDemoCommand(args, io),
  },
  sandbox: {
    summary: 'keep the demo\'s embedded servers running, with a configuration for check and run',
    run: async (args) => (await import('./commands/sandbox.ts')).runSandboxCommand(args, io),
  },
  explain: {
    summary: 'say what the daemon would do with a mail (.eml), doing nothing',
    run: async (args) => (await import('./commands/explain.ts')).runExplainCommand(args, io),
  },
  init: {
    summary: 'write a commented configuration from a few answers (flags or prompts)',
    run: async (args) => (await import('./commands/init.ts')).runInitCommand(args, io),
  },
  authorize: {
    summary: 'get Secured Signing OAuth2 tokens (authorization-code flow in a browser) and store them; nothing to do for Signicat',
    run: async (args) => (await import('./commands/authorize.ts')).runAuthorizeCommand(args, io),
  },
  check: {
    summary: 'check the configuration, mailboxes, SMTP, the signing provider and ServiceNow: ✓ or ✗ with the fix',
    run: async (args) => (await import('./commands/check.ts')).runCheckCommand(args, io),
  },
  retry: {
    summary: 'put a failed request back to the step it failed at and queue that step again',
    run: async (args) => (await import('./commands/retry.ts')).runRetryCommand(args, io),
  },
  cancel: {
    summary: 'withdraw a request that is not signed yet (at the provider, with a note on the record)',
    run: async (args) => (await import('./commands/cancel.ts')).runCancelCommand(args, io),
  },
  status: {
    summary: 'is the daemon healthy: watchers, queue, requests by state (exit 1 when not)',
    run: async (args) => (await import('./commands/status.ts')).runStatusCommand(args, io),
  },
  requests: {
    summary: 'list the latest requests [--state STATE]',
    run: async (args) => (await import('./commands/requests.ts')).runRequestsCommand(args, io),
  },
  show: {
    summary: 'one request and its timeline (by request id or record number)',
    run: async (args) => (await import('./commands/show.ts')).runShowCommand(args, io),
  },
};

/**
 * `--name NAME` (or `--name=NAME`), for any command: the instance's configuration and
 * credentials become the defaults every command already reads ($SIGNRELAY_CONFIG,
 * $SIGNRELAY_CREDENTIALS_SOURCE; an explicit --config still wins), and $SIGNRELAY_INSTANCE
 * tells `init` where to write.
 */
function selectInstance(args: string[]): { args: string[] } | { problem: string } {
  const at = args.findIndex((a) => a === '--name' || a.startsWith('--name='));
  if (at < 0) return { args };
  const value = args[at] === '--name' ? args[at + 1] : args[at]!.slice('--name='.length);
  if (value === undefined) return { problem: '--name needs an instance name, e.g. --name hr' };
  const instance = instanceOf(value);
  if ('problem' in instance) return instance;
  process.env.SIGNRELAY_CONFIG = instance.configPath;
  process.env.SIGNRELAY_CREDENTIALS_SOURCE ??= instance.credentialsDir;
  process.env.SIGNRELAY_INSTANCE = instance.name;
  return { args: args.filter((_, i) => i !== at && !(args[at] === '--name' && i === at + 1)) };
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: signrelay <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'options common to commands that read the configuration:',
    '  --config FILE   the configuration (default: $SIGNRELAY_CONFIG, then /etc/signrelay/signrelay.yaml)',
    '  --name NAME     the instance NAME of signrelay@NAME.service: /etc/signrelay/NAME.yaml, its secrets in',
    '                  /etc/signrelay/credentials/NAME/ (with init: writes that file, data dir /var/lib/signrelay/NAME)',
    '',
    "run 'signrelay <command> --help' for a command's options.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // A usage error: the usage goes to stderr, like every other error (stdout stays empty).
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default;
    process.stdout.write(`signrelay ${pkg.version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`signrelay: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const selected = selectInstance(rest);
  if ('problem' in selected) {
    process.stderr.write(`signrelay ${name}: ${selected.problem}\n`);
    return 2;
  }
  return command.run(selected.args);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (isSignrelayError(err)) {
      process.stderr.write(`signrelay: ${err.message}\n`);
    } else {
      process.stderr.write(`signrelay: unexpected error (a bug — please report it):\n${err instanceof Error ? err.stack : String(err)}\n`);
    }
    process.exitCode = 1;
  },
);
