// The command line's dispatch: the command's name picks its module (loaded only when it
// runs), which gets the rest of the arguments and where to write. Expected failures
// (SignrelayError) print one clear line and give exit code 1; only a bug prints a stack
// trace. src/cli.ts binds it to the process; tests call it in process where a child
// process would prove nothing more (test/cli/in-process.ts).
import { basename, resolve } from 'node:path';
import { DEFAULT_CONFIG_PATH, namedConfigPath } from '../config/config-path.ts';
import { instanceOf, type Instance } from '../config/instance.ts';
import { isSignrelayError } from '../errors.ts';
import type { CommandIo } from '../cli-io/command-io.ts';
import { buildVersion } from '../store/schema-version.ts';
import { messageForTerminal } from '../terminal-text.ts';

interface Command {
  summary: string;
  run(args: string[], io: CommandIo): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'run the daemon (watch the request mailbox, submit requests)',
    run: async (args, io) => (await import('./run.ts')).runDaemonCommand(args, io),
  },
  stamp: {
    summary: 'stamp smart tags into a PDF exactly as the daemon would',
    run: async (args, io) => (await import('./stamp.ts')).runStampCommand(args, io),
  },
  demo: {
    summary: 'run the request path end to end on embedded servers (nothing to install or configure)',
    run: async (args, io) => (await import('./demo.ts')).runDemoCommand(args, io),
  },
  sandbox: {
    summary: 'keep the demo\'s embedded servers running, with a configuration for check and run',
    run: async (args, io) => (await import('./sandbox.ts')).runSandboxCommand(args, io),
  },
  explain: {
    summary: 'say what the daemon would do with a mail (.eml), doing nothing',
    run: async (args, io) => (await import('./explain.ts')).runExplainCommand(args, io),
  },
  init: {
    summary: 'write a commented configuration from a few answers (flags or prompts)',
    run: async (args, io) => (await import('./init.ts')).runInitCommand(args, io),
  },
  authorize: {
    summary: 'get Secured Signing OAuth2 tokens (authorization-code flow in a browser) and store them; nothing to do for Signicat',
    run: async (args, io) => (await import('./authorize.ts')).runAuthorizeCommand(args, io),
  },
  check: {
    summary: 'check the configuration, mailboxes, SMTP, the signing provider and ServiceNow: ✓ or ✗ with the fix',
    run: async (args, io) => (await import('./check.ts')).runCheckCommand(args, io),
  },
  retry: {
    summary: 'put a failed request back to the step it failed at and queue that step again',
    run: async (args, io) => (await import('./retry.ts')).runRetryCommand(args, io),
  },
  cancel: {
    summary: 'withdraw a request that is not signed yet (at the provider, with a note on the record)',
    run: async (args, io) => (await import('./cancel.ts')).runCancelCommand(args, io),
  },
  release: {
    summary: 'let requests held after a restore was found go on (after checking them)',
    run: async (args, io) => (await import('./release.ts')).runReleaseCommand(args, io),
  },
  status: {
    summary: 'is the daemon healthy: watchers, queue, requests by state (exit 1 when not)',
    run: async (args, io) => (await import('./status.ts')).runStatusCommand(args, io),
  },
  requests: {
    summary: 'list the latest requests [--state STATE]',
    run: async (args, io) => (await import('./requests.ts')).runRequestsCommand(args, io),
  },
  show: {
    summary: 'one request and its timeline (by request id or record number)',
    run: async (args, io) => (await import('./show.ts')).runShowCommand(args, io),
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
  if (at < 0) {
    instanceOfConfigPath(args);
    return { args };
  }
  const value = args[at] === '--name' ? args[at + 1] : args[at]!.slice('--name='.length);
  if (value === undefined) return { problem: '--name needs an instance name, e.g. --name hr' };
  const instance = instanceOf(value);
  if ('problem' in instance) return instance;
  process.env.SIGNRELAY_CONFIG = instance.configPath;
  becomeInstance(instance);
  return { args: args.filter((_, i) => i !== at && !(args[at] === '--name' && i === at + 1)) };
}

/** The instance's credentials become the default, and $SIGNRELAY_INSTANCE names it (its unit, its commands, init's file). */
function becomeInstance(instance: Instance): void {
  process.env.SIGNRELAY_CREDENTIALS_SOURCE ??= instance.credentialsDir;
  process.env.SIGNRELAY_INSTANCE = instance.name;
}

/**
 * An instance's configuration named by its path (`--config /etc/signrelay/hr.yaml`) is that
 * instance, as `--name hr` is (instances review L3: the hints named the single unit, and its
 * credentials were read from the single unit's directory). Only the instances' own place counts.
 */
function instanceOfConfigPath(args: string[]): void {
  if (process.env.SIGNRELAY_INSTANCE) return;
  const path = configFlag(args);
  const name = path === undefined ? undefined : /^([^/]+)\.yaml$/.exec(basename(path))?.[1];
  const instance = name === undefined || path === DEFAULT_CONFIG_PATH ? undefined : instanceOf(name);
  if (instance && 'configPath' in instance && instance.configPath === path) becomeInstance(instance);
}

/** The value of `--config FILE` (or `--config=FILE`), if given. */
function configFlag(args: string[]): string | undefined {
  const at = args.findIndex((a) => a === '--config' || a.startsWith('--config='));
  return at < 0 ? undefined : args[at] === '--config' ? args[at + 1] : args[at]!.slice('--config='.length);
}

/**
 * The configuration the command reads, made absolute, becomes $SIGNRELAY_CONFIG — `--config
 * FILE`'s too — for the commands its messages tell the operator to run (operatorCommand):
 * a daemon started with `--config /tmp/x/signrelay.yaml` told its operator `signrelay retry
 * 42`, which read the default configuration (newcomer review L4). The command itself still
 * reads its --config: the same file.
 */
function recordConfigPath(args: string[]): void {
  const path = namedConfigPath(configFlag(args));
  if (path) process.env.SIGNRELAY_CONFIG = resolve(path);
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

async function dispatch(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // A usage error: the usage goes to stderr, like every other error (stdout stays empty).
    io.stderr.write(`${usage()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    const pkg = (await import('../../package.json', { with: { type: 'json' } })).default;
    io.stdout.write(`signrelay ${buildVersion(pkg.version)}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`signrelay: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const selected = selectInstance(rest);
  if ('problem' in selected) {
    io.stderr.write(`signrelay ${name}: ${selected.problem}\n`);
    return 2;
  }
  recordConfigPath(selected.args);
  return command.run(selected.args, io);
}


/** Runs `signrelay ARGV`, writing to `io`; resolves with the exit code (never rejects). */
export async function runSignrelay(argv: string[], io: CommandIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    // A message may quote what a server, a provider or a file said (variants review L2).
    if (isSignrelayError(err)) io.stderr.write(`signrelay: ${messageForTerminal(err.message)}\n`);
    else io.stderr.write(`signrelay: unexpected error (a bug — please report it):\n${messageForTerminal(err instanceof Error ? err.stack ?? err.message : String(err))}\n`);
    return 1;
  }
}
