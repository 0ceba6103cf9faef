// `signrelay release ID … | --all`: lets the work of requests held after a restore was
// found (alerts/restore-alert.ts) go on — their jobs run, the scheduler reconciles and
// reminds them again — each with a note in its trail; a running daemon is told at once.
import { parseCommand } from '../cli-io/command-args.ts';
import { changeState, loadOperatorConfig } from '../cli-io/open-state.ts';
import { SignrelayError } from '../errors.ts';
import { jsonForTerminal } from '../terminal-text.ts';
import { countHeld, isHeld, releaseHolds } from '../store/restore-holds.ts';
import { getRequest } from '../store/requests.ts';
import { wakeDaemon } from '../service/wake-daemon.ts';
import type { CommandIo } from './run.ts';
import { operatorCommand } from '../service-unit.ts';

const USAGE = `usage: signrelay release (ID … | --all) [--json] [--config FILE]

Lets requests held after a restore was found go on: their jobs run (a send, a delivery,
a mail), and the scheduler looks at them again. Check each first — at the provider and on
its record (\`signrelay show ID\`) — and cancel what already went out after the backup
(\`signrelay cancel ID\`: a held request that is cancelled sends nothing).
`;

export async function runReleaseCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand('release', args, { all: { type: 'boolean' } }, USAGE, io, { min: 0, max: Number.POSITIVE_INFINITY });
  if (typeof parsed === 'number') return parsed;
  const all = (parsed.values as { all?: boolean }).all === true;
  const ids = parsed.positionals;
  if (all === (ids.length > 0)) {
    io.stderr.write(`signrelay release: name the requests to release, or --all (not both)\n\n${USAGE}`);
    return 2;
  }
  const config = loadOperatorConfig(parsed.values.config);
  const { released, left } = changeState(config, (db) => {
    for (const id of ids) {
      if (!getRequest(db, id)) throw new SignrelayError('input', 'request_unknown', `no request ${id} (see \`${operatorCommand('requests --held')}\`)`);
      if (!isHeld(db, id)) throw new SignrelayError('input', 'not_held', `request ${id} is not held (see \`${operatorCommand('requests --held')}\`)`);
    }
    const done = releaseHolds(db, all ? undefined : ids, new Date());
    return { released: done, left: countHeld(db) };
  });
  const pid = released.length > 0 ? wakeDaemon(config.storage.data_dir) : undefined;
  if (parsed.values.json) {
    io.stdout.write(`${jsonForTerminal({ released, held: left, daemonPid: pid ?? null })}\n`);
    return 0;
  }
  const what = released.length === 0 ? 'no request was held' : `${released.length === 1 ? `request ${released[0]} is` : `${released.length} requests are`} released`;
  const daemon = released.length === 0 ? '' : pid === undefined ? ' (the daemon is not running: their work goes on when it starts)' : ` — the daemon (pid ${pid}) goes on with their work`;
  io.stdout.write(`${what}${daemon}${left > 0 ? `; ${left} still held` : ''}\n`);
  return 0;
}
