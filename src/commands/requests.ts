// `signrelay requests [--state S]`: the latest requests, newest first, as an aligned table
// (or JSON lines' worth of objects with --json).
import { parseCommand } from '../cli-io/command-args.ts';
import { formatTable, shortTime } from '../cli-io/format-table.ts';
import { loadReadingOperatorConfig, readState } from '../cli-io/open-state.ts';
import { jsonForTerminal } from '../terminal-text.ts';
import { REQUEST_STATES, type RequestState } from '../store/request-states.ts';
import { listRequests } from '../store/requests.ts';
import { isHeld } from '../store/restore-holds.ts';
import type { CommandIo } from './run.ts';

const USAGE = `usage: signrelay requests [--state STATE] [--held] [--limit N] [--json] [--config FILE]

The latest requests, newest first (default: 50). STATE is one of
${REQUEST_STATES.join(', ')}. --held: only the requests held after a restore
was found (\`signrelay release\` lets them go on).
`;

/** The most rows one listing prints (SQLite takes a LIMIT up to 2^63 - 1; a terminal far fewer). */
const MAX_LIMIT = 100_000;

export async function runRequestsCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand('requests', args, { state: { type: 'string' }, limit: { type: 'string' }, held: { type: 'boolean' } }, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const { state, limit } = parsed.values;
  if (state !== undefined && !REQUEST_STATES.includes(state as RequestState)) {
    io.stderr.write(`signrelay requests: --state ${state} is not a state; use one of ${REQUEST_STATES.join(', ')}\n`);
    return 2;
  }
  const max = limit === undefined ? 50 : Number(limit);
  if (!Number.isInteger(max) || max < 1 || max > MAX_LIMIT) {
    io.stderr.write(`signrelay requests: --limit ${limit} is not a whole number from 1 to ${MAX_LIMIT}\n`);
    return 2;
  }
  readState(loadReadingOperatorConfig(parsed.values.config, io.stderr), (db) => {
    const held = parsed.values.held === true;
    const rows = listRequests(db, { state: state as RequestState | undefined, limit: max, held });
    const heldIds = new Set(rows.filter((r) => isHeld(db, r.id)).map((r) => r.id));
    if (parsed.values.json) {
      io.stdout.write(`${jsonForTerminal(rows.map(({ token: _token, ...row }) => ({ ...row, held: heldIds.has(row.id) })), 2)}\n`);
    } else if (rows.length === 0) {
      io.stdout.write(`${held ? `no held ${state ?? ''} requests`.replace('  ', ' ') : state ? `no ${state} requests` : 'no requests yet'}\n`);
    } else {
      io.stdout.write(`${formatTable(['ID', 'STATE', 'CREATED (UTC)', 'ROUTE', 'RECORD', 'REQUESTER', 'SIGNERS', 'DUE', 'REASON'],
        rows.map((r) => [r.id, heldIds.has(r.id) ? `${r.state} (held)` : r.state, shortTime(r.createdAt), r.route, r.recordNumber, r.requester, r.signers.length, r.dueDate, r.reason]))}\n`);
    }
  });
  return 0;
}
