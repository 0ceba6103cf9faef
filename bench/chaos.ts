// `npm run chaos -- [--provider secured-signing|signicat] [--requests N] [--kills K] [--seed S]`:
// the chaos run of test/chaos/harness.ts at a size the suite has no time for. The daemon
// (`signrelay run`, a child process) is SIGKILLed at least K times while N requests go
// through Dovecot, the provider's simulator and ServiceNow's; the last line is the verdict,
// and the exit code is 0 only when nothing was lost or done twice (and no other invariant
// was broken, and no known bug showed: the PROBLEM and KNOWN BUG lines say which); 2 is a
// usage mistake (an unknown option or provider, a malformed value).
//
//   --provider secured-signing|signicat       the signing provider the daemon is configured for (default secured-signing)
//
// More knobs, for hunting a particular bug:
//   --targets upload,send,attach,note,token   effects a timed kill may pick (default upload,send,attach)
//   --targeted-share 0.5                      share of kills timed to an effect's answer
//   --uptime 2000-6000                        daemon uptime before a random kill, ms
//   --token-lifetime 3600                     Secured Signing only: access-token lifetime, s (30 = a refresh every ~22 s)
//   --settle-timeout 30000                    the stall window, ms: the last daemon (and its graceful stop) fails
//                                             only when nothing moved for this long — no request, job, mail,
//                                             effect or signature — however busy the machine
//   --settle-cap MS                           an absolute cap on the last daemon's time (default 10 min, or 3 s a request)
//   --status-blip                             after a kill timed to a send, the daemon's first look at it answers 503
//                                             (Secured Signing: Document/Status; Signicat: the order)
//   --fail-notes N                            the first N work-note PATCHes at ServiceNow answer 503
//   --certificate                             servicenow.attach_certificate: each record also gets the provider's certificate, once
//   --keep                                    keep the temp dir (daemon logs, data dir) even when all is well
import { parseArgs } from 'node:util';
import { providerOption } from '../src/sandbox/simulated-provider.ts';
import { EFFECT_KINDS, type EffectKind } from '../test/chaos/effect-tap.ts';
import { DEFAULT_STALL_WINDOW_MS, defaultSettleCapMs, describeReport, runChaos } from '../test/chaos/harness.ts';
import { readOptions, UsageError } from './perf/usage-error.ts';

const USAGE = 'usage: node bench/chaos.ts [--provider secured-signing|signicat] [--requests N] [--kills K] [--seed S] [--targets LIST] [--targeted-share P] '
  + '[--uptime MIN-MAX] [--token-lifetime S] [--settle-timeout MS] [--settle-cap MS] [--status-blip] [--fail-notes N] [--certificate] [--keep]\n'
  + '  --settle-timeout is the stall window: the run fails when nothing has moved for that long.\n';


function range(text: string | undefined, fallback: [number, number]): [number, number] {
  if (!text) return fallback;
  const match = /^(\d+)-(\d+)$/.exec(text);
  if (!match || Number(match[1]) > Number(match[2])) throw new UsageError(`--uptime: expected MIN-MAX in ms, got ${text}`);
  return [Number(match[1]), Number(match[2])];
}

function positive(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${what}: expected a non-negative integer, got ${text}`);
  return n;
}

function share(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const p = Number(text);
  if (!Number.isFinite(p) || p < 0 || p > 1) throw new UsageError(`--targeted-share: expected a number from 0 to 1, got ${text}`);
  return p;
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        provider: { type: 'string' }, requests: { type: 'string' }, kills: { type: 'string' }, seed: { type: 'string' },
        targets: { type: 'string' }, 'targeted-share': { type: 'string' }, uptime: { type: 'string' },
        'token-lifetime': { type: 'string' }, 'settle-timeout': { type: 'string' }, 'settle-cap': { type: 'string' },
        keep: { type: 'boolean' }, 'status-blip': { type: 'boolean' }, certificate: { type: 'boolean' }, 'fail-notes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const provider = providerOption(values.provider);
  if ('problem' in provider) throw new UsageError(provider.problem);
  if (provider.name !== 'secured-signing' && values['token-lifetime'] !== undefined) {
    throw new UsageError('--token-lifetime is Secured Signing\'s (its refresh tokens rotate); Signicat\'s simulator keeps its own token lifetime');
  }
  const targets = values.targets?.split(',').map((t) => t.trim()).filter(Boolean) as EffectKind[] | undefined;
  const unknown = targets?.filter((t) => !EFFECT_KINDS.includes(t));
  if (unknown?.length) throw new UsageError(`--targets: unknown effect(s) ${unknown.join(', ')} (known: ${EFFECT_KINDS.join(', ')})`);
  const requests = positive(values.requests, 200, 'requests');
  return {
    help: values.help ?? false,
    run: {
      provider: provider.name,
      requests,
      kills: positive(values.kills, 30, 'kills'),
      seed: values.seed === undefined ? undefined : positive(values.seed, 0, 'seed'),
      targets,
      targetedShare: share(values['targeted-share']),
      uptimeMs: range(values.uptime, [2_000, 6_000]),
      accessTokenLifetimeSeconds: positive(values['token-lifetime'], 3_600, 'token-lifetime'),
      stallWindowMs: positive(values['settle-timeout'], DEFAULT_STALL_WINDOW_MS, 'settle-timeout'),
      settleCapMs: positive(values['settle-cap'], defaultSettleCapMs(requests), 'settle-cap'),
      statusBlipAfterSendKill: values['status-blip'] ?? false,
      failNotes: positive(values['fail-notes'], 0, 'fail-notes'),
      attachCertificate: values.certificate ?? false,
      keepDir: values.keep ? 'always' as const : 'on-trouble' as const,
      log: (line: string) => process.stdout.write(`${line}\n`),
    },
  };
}

async function main(): Promise<number> {
  const parsed = readOptions('chaos', USAGE, options);
  if (!parsed) return 2;
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const report = await runChaos(parsed.run);
  for (const line of describeReport(report)) process.stdout.write(`${line}\n`);
  // Stricter than the suite: a known bug that showed up (KNOWN BUG lines) fails the bench too.
  const clean = report.problems.length === 0 && report.knownIssues.length === 0;
  return clean && report.lost === 0 && report.duplicateSends === 0 && report.duplicateAttachments === 0 && report.duplicateCertificates === 0 ? 0 : 1;
}

main().then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`chaos: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 2;
});
