// Argument parsing shared by the operator commands: node:util parseArgs with `--help`,
// `--config` and `--json` added, and usage mistakes answered with one line and exit 2 (a
// usage problem, not a bug: no stack trace).
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { describeError } from '../errors.ts';
import type { CommandIo } from './command-io.ts';

const COMMON = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

export interface ParsedCommand<O extends ParseArgsOptionsConfig> {
  values: { [K in keyof (O & typeof COMMON)]?: (O & typeof COMMON)[K] extends { type: 'boolean' } ? boolean : string };
  positionals: string[];
}

/**
 * Parses ARGS for `signrelay NAME`; returns the exit code instead when the command is done
 * (help printed: 0; a usage mistake: 2). `positionals` is how many arguments it takes.
 */
export function parseCommand<O extends ParseArgsOptionsConfig>(
  name: string, args: string[], options: O, usage: string, io: CommandIo, positionals: { min: number; max: number } = { min: 0, max: 0 },
): ParsedCommand<O> | number {
  let parsed;
  try {
    const all = { ...COMMON, ...options };
    parsed = parseArgs({ args: withNegativeValues(args, all), allowPositionals: positionals.max > 0, options: all });
  } catch (err) {
    io.stderr.write(`signrelay ${name}: ${describeError(err)} (see --help)\n`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout.write(usage);
    return 0;
  }
  if (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max) {
    io.stderr.write(`signrelay ${name}: expected ${positionals.min === positionals.max ? positionals.min : `${positionals.min}–${positionals.max}`} argument(s)\n${usage}`);
    return 2;
  }
  return parsed as unknown as ParsedCommand<O>;
}

/**
 * ARGS with `--name -5` written `--name=-5` for a string option: parseArgs takes a value
 * starting with "-" for a forgotten one ("argument is ambiguous … use '--limit=-XYZ'"),
 * where the command's own check says what a good value is. Only a number: `--config -h`
 * still asks for help.
 */
function withNegativeValues(args: string[], options: ParseArgsOptionsConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === '--') return [...out, ...args.slice(i)];
    if (arg.startsWith('--') && options[arg.slice(2)]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}
