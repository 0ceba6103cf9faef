// `signrelay cancel ID [--reason TEXT]`: queues the `cancel` job (cancel-request.ts) for the
// daemon — withdraw the documents at the provider, a note on the record, a notice to the
// requester — and wakes it. Refused for requests already signed or finished.
import { queueCancel } from '../completion/cancel-request.ts';
import { providerTraits } from '../providers/provider-traits.ts';
import { parseCommand } from '../cli-io/command-args.ts';
import { changeState, loadOperatorConfig } from '../cli-io/open-state.ts';
import { jsonForTerminal } from '../terminal-text.ts';
import { wakeDaemon } from '../service/wake-daemon.ts';
import { isHeld } from '../store/restore-holds.ts';
import type { CommandIo } from './run.ts';
import { operatorCommand } from '../service-unit.ts';

const USAGE = `usage: signrelay cancel ID [--reason TEXT] [--json] [--config FILE]

Withdraws a request that is not signed yet: it is withdrawn at the provider (Secured
Signing: each document; Signicat: the order — the signers can no longer sign), the record
gets a work note, the requester a notice.
The running daemon does it at once; a stopped one when it starts.
`;

export async function runCancelCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand('cancel', args, { reason: { type: 'string' } }, USAGE, io, { min: 1, max: 1 });
  if (typeof parsed === 'number') return parsed;
  const id = parsed.positionals[0]!;
  const reason = (parsed.values as { reason?: string }).reason ?? '';
  const config = loadOperatorConfig(parsed.values.config);
  const held = changeState(config, (db) => {
    queueCancel(db, id, reason, new Date(), providerTraits(config.provider).name);
    return isHeld(db, id);
  });
  const pid = wakeDaemon(config.storage.data_dir);
  io.stdout.write(parsed.values.json
    ? `${jsonForTerminal({ request: id, job: 'cancel', daemonPid: pid ?? null, held })}\n`
    : `request ${id}: cancellation queued${held ? ` — held since a restore was found: nothing of it is sent meanwhile, and the cancel is carried out once released (\`${operatorCommand(`release ${id}`)}\`)` : pid === undefined ? ' (the daemon is not running: it happens when the daemon starts)' : ` for the daemon (pid ${pid})`}\n`);
  return 0;
}
