// `signrelay explain MAIL.eml`: what the daemon would do with this mail, doing nothing.
// Prints one JSON object; exits 0 for any mail, however broken (only a missing file or a
// bad configuration is an error).
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EXAMPLE_CONFIG_PATH } from '../config/config-path.ts';
import { loadConfigFile } from '../config/load-config.ts';
import { SignrelayError } from '../errors.ts';
import { decideFromSource, decideOversize, type RequestDecision } from '../intake/decide-request.ts';
import { intakePolicyFrom } from '../intake/intake-policy.ts';
import { formatSigner } from '../signer.ts';
import type { CommandIo } from './run.ts';

const USAGE = 'usage: signrelay explain MAIL.eml [--config FILE]\n\nWithout --config, the example configuration\'s routes and limits are used.\n';

export async function runExplainCommand(args: string[], io: CommandIo, now = new Date()): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    io.stderr.write(`signrelay explain: name one mail file (.eml)\n${USAGE}`);
    return 2;
  }
  const file = positionals[0]!;
  const config = loadConfigFile(values.config ?? EXAMPLE_CONFIG_PATH, { requireSecrets: false });
  const policy = intakePolicyFrom(config);
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new SignrelayError('input', 'mail_unreadable', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const raw = readFileSync(file);
  const { decision } = size > config.limits.max_mail_bytes
    ? await decideOversize(headerPart(raw), size, policy, now)
    : await decideFromSource(raw, policy, now);
  io.stdout.write(`${JSON.stringify(explainJson(decision), null, 2)}\n`);
  return 0;
}

export function explainJson(decision: RequestDecision): Record<string, unknown> {
  const base = { action: decision.action, reason: decision.reason, reply: decision.reply };
  if (decision.action !== 'request') return { ...base, request: null };
  const { draft, pdfs } = decision;
  return {
    ...base,
    request: {
      route: draft.route,
      record: draft.record,
      signers: draft.signers.map(formatSigner),
      signersFrom: draft.signersFrom,
      due: draft.due,
      requester: draft.requester,
      documents: draft.documents.map((d, i) => ({
        name: d.fileName, bytes: d.bytes.length, pages: pdfs[i]?.pages, existingSignTags: pdfs[i]?.signTagCount ?? 0,
      })),
    },
  };
}

/** The header block of a raw mail (up to the first empty line). */
export function headerPart(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = [crlf, lf].filter((i) => i >= 0).sort((a, b) => a - b)[0];
  return end === undefined ? raw : raw.subarray(0, end + 2);
}
