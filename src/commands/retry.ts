// `signrelay retry ID`: a failed request goes back to the state it failed from and its
// job is queued again (retry-plan.ts), in one transaction with an audit event; a running
// daemon is told at once (SIGUSR2) instead of finding the job at its next look.
import { parseCommand } from '../cli-io/command-args.ts';
import { changeState, loadOperatorConfig } from '../cli-io/open-state.ts';
import { retryPlan } from '../cli-io/retry-plan.ts';
import { jsonForTerminal } from '../terminal-text.ts';
import { SignrelayError } from '../errors.ts';
import { addEvent, listEvents } from '../store/events.ts';
import { enqueueJob } from '../store/jobs.ts';
import { getRequest, transition } from '../store/requests.ts';
import { isHeld } from '../store/restore-holds.ts';
import { providerTraits } from '../providers/provider-traits.ts';
import { otherProvidersRequest } from '../store/provider-switch.ts';
import type { CommandIo } from './run.ts';
import { wakeDaemon } from '../service/wake-daemon.ts';
import { operatorCommand } from '../service-unit.ts';

const USAGE = `usage: signrelay retry ID [--json] [--config FILE]

Puts a failed request back to the step it failed at and queues that step again; what was
already done (upload, send, attachment) is not repeated. Fix the cause first (see
\`signrelay show ID\`).
`;

export async function runRetryCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand('retry', args, {}, USAGE, io, { min: 1, max: 1 });
  if (typeof parsed === 'number') return parsed;
  const id = parsed.positionals[0]!;
  const config = loadOperatorConfig(parsed.values.config);
  const plan = changeState(config, (db) => {
    const request = getRequest(db, id);
    if (!request) throw new SignrelayError('input', 'request_unknown', `no request ${id} (see \`${operatorCommand('requests --state failed')}\`)`);
    // Its step would go to the provider configured now, which knows nothing of it.
    const elsewhere = otherProvidersRequest(request, providerTraits(config.provider).name, 'retry it');
    if (elsewhere) throw new SignrelayError('input', 'not_retryable', elsewhere);
    const p = retryPlan(request, listEvents(db, id));
    if (!p.ok) throw new SignrelayError('input', 'not_retryable', p.problem);
    const now = new Date();
    transition(db, id, p.backTo, now, { retriedBy: 'operator' });
    enqueueJob(db, { kind: p.job, requestId: id, payload: p.payload }, now);
    addEvent(db, { requestId: id, kind: 'note', detail: { retry: p.job } }, now);
    return { ...p, held: isHeld(db, id) };
  });
  const pid = wakeDaemon(config.storage.data_dir);
  io.stdout.write(parsed.values.json
    ? `${jsonForTerminal({ request: id, state: plan.backTo, job: plan.job, daemonPid: pid ?? null, held: plan.held })}\n`
    : `request ${id} is ${plan.backTo} again; its ${plan.job} job is queued${plan.held ? ` — held since a restore was found: it runs once released (\`${operatorCommand(`release ${id}`)}\`)` : pid === undefined ? ' (the daemon is not running: it runs when the daemon starts)' : ` for the daemon (pid ${pid})`}\n`);
  return 0;
}
