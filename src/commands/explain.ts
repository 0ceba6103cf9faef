// `signrelay explain MAIL.eml`: what the daemon would do with this mail, doing nothing.
// Prints one JSON object; exits 0 for any mail, however broken (only a missing file or a
// bad configuration is an error).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EXAMPLE_CONFIG_PATH, namedConfigPath } from '../config/config-path.ts';
import { loadConfigFile } from '../config/load-config.ts';
import { describeError, SignrelayError } from '../errors.ts';
import { decideFromSource, decideOversize, type RequestDecision } from '../intake/decide-request.ts';
import { intakePolicyFrom } from '../intake/intake-policy.ts';
import { planStamps } from '../intake/stamp-plan.ts';
import { providerTraits } from '../providers/provider-traits.ts';
import { jsonForTerminal } from '../terminal-text.ts';
import { openStateReadOnly } from '../cli-io/open-state.ts';
import type { Config } from '../config/schema.ts';
import { explainReply } from '../conversation/explain-reply.ts';
import { replyKeys } from '../intake/conversation-address.ts';
import { readPackedMail, readRequestMail } from '../message/read-request-mail.ts';
import { mailSystemSender, readBounce } from '../message/read-bounce.ts';
import { sentMailOf } from '../intake/process-bounce.ts';
import { formatSigner } from '../signer.ts';
import type { CommandIo } from './run.ts';

const USAGE = 'usage: signrelay explain MAIL.eml [--config FILE | --name NAME]\n\nWithout --config, --name or $SIGNRELAY_CONFIG, the example configuration\'s routes and limits are used.\nA reply to an acknowledgement is looked up in the daemon\'s database (storage.data_dir, read-only): which request, which command, allowed or not and why.\n';

export async function runExplainCommand(args: string[], io: CommandIo, now = new Date()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    // An unknown option is a usage problem, not a bug: no stack trace.
    io.stderr.write(`signrelay explain: ${describeError(err)} (see --help)\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    io.stderr.write(`signrelay explain: name one mail file (.eml)\n${USAGE}`);
    return 2;
  }
  const file = positionals[0]!;
  const config = loadConfigFile(namedConfigPath(values.config) ?? EXAMPLE_CONFIG_PATH, { requireSecrets: false });
  const policy = intakePolicyFrom(config);
  let raw: Buffer;
  try {
    // Inside the try: a directory or an unreadable file is the user's mistake, not a bug.
    raw = readFileSync(file);
  } catch (err) {
    throw new SignrelayError('input', 'mail_unreadable', `cannot read ${file}: ${readProblem(err)}`, { cause: err });
  }
  // A bounce of a mail signrelay sent is taken before anything else (intake/process-bounce.ts), on the daemon's database.
  const bounce = await explainAsBounce(raw, config);
  if (bounce) {
    io.stdout.write(`${jsonForTerminal(bounce, 2)}\n`);
    return 0;
  }
  // A reply to an acknowledgement is explained as the daemon would take it (its command), on the daemon's database.
  const reply = await explainAsReply(raw, config, now);
  if (reply) {
    io.stdout.write(`${jsonForTerminal(reply, 2)}\n`);
    return 0;
  }
  const size = imapSize(raw);
  const { decision } = size > config.limits.max_mail_bytes
    ? await decideOversize(headerPart(raw), size, policy, now)
    : await decideFromSource(raw, policy, now, planStamps(config, providerTraits(config.provider).capabilities.textTags));
  // The mail's own words (signers, file names, reasons) must not reach the terminal raw.
  io.stdout.write(`${jsonForTerminal(explainJson(decision), 2)}\n`);
  return 0;
}

export function explainJson(decision: RequestDecision): Record<string, unknown> {
  // The authentication verdict when intake.authentication (or the route) asked for one.
  const authentication = decision.action === 'ignore' ? undefined : decision.authentication;
  // Who a reply would go to, and why not the Reply-To when it was passed over (reply-address.ts).
  const replyTo = decision.action === 'reject' && decision.reply ? { replyTo: decision.replyTo ?? null, ...(decision.replyNote ? { replyNote: decision.replyNote } : {}) } : {};
  const base = { action: decision.action, reason: decision.reason, reply: decision.reply, ...replyTo, ...(authentication ? { authentication } : {}) };
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
      ...(draft.requesterNote ? { requesterNote: draft.requesterNote } : {}),
      ...(draft.ignoredWatermark ? { ignoredWatermark: `${draft.ignoredWatermark}: not from the instance's own senders (servicenow.senders)` } : {}),
      documents: draft.documents.map((d, i) => ({
        name: d.fileName, bytes: d.bytes.length, pages: pdfs[i]?.pages, existingSignTags: pdfs[i]?.signTagCount ?? 0,
      })),
    },
  };
}

/** The reply's explanation, or undefined for a mail that names no request's reply address or acknowledgement. */
async function explainAsReply(raw: Buffer, config: Config, now: Date): Promise<Record<string, unknown> | undefined> {
  let head;
  try {
    head = await readRequestMail(headerPart(raw));
  } catch {
    return undefined; // unreadable: the request explanation says so
  }
  const keys = replyKeys(head, config.mailboxes.requests.address);
  if (keys.secrets.length === 0 && keys.tokens.length === 0 && keys.messageIds.length === 0) return undefined;
  let db;
  try {
    db = openStateReadOnly(config);
  } catch (err) {
    // Written to a request's reply address, but there is no database to find the request in.
    if (keys.secrets.length > 0) return { action: 'reply', reason: `a reply to an acknowledgement's reply address, which cannot be looked up: ${describeError(err)}`, reply: { request: null } };
    if (keys.tokens.length > 0) return { action: 'reply', reason: `a mail to request token ${keys.tokens[0]}'s address: not a reply command and not a request`, reply: { request: null } };
    return undefined;
  }
  try {
    return explainReply(db, config, await readRequestMail(raw), now);
  } finally {
    db.close();
  }
}

/**
 * A mail system's bounce naming a mail signrelay recorded sending: what the daemon does with
 * it. Undefined for any other mail — a bounce naming no mail of signrelay's is explained as
 * the automatic mail intake files it.
 */
async function explainAsBounce(raw: Buffer, config: Config): Promise<Record<string, unknown> | undefined> {
  let bounce;
  try {
    const mail = await readPackedMail(raw);
    bounce = mailSystemSender(mail) ? readBounce(mail) : null;
  } catch {
    return undefined; // unreadable: the request explanation says so
  }
  if (!bounce) return undefined;
  const said = { verdict: bounce.verdict, reason: bounce.reason, returns: bounce.originalIds };
  let db;
  try {
    db = openStateReadOnly(config);
  } catch (err) {
    return { action: 'bounce', reason: `a bounce of a mail whose Message-ID is ${bounce.originalIds.join(', ') || '(none)'}; whether signrelay sent it is in its database, which cannot be read: ${describeError(err)}`, reply: false, bounce: said };
  }
  try {
    const sent = sentMailOf(db, bounce);
    if (!sent) return undefined;
    const what = `signrelay's ${sent.purpose} mail to ${sent.recipients}${sent.requestId ? ` for ${sent.requestId}` : ''}`;
    const does = bounce.verdict !== 'failed' ? 'recorded on its request; nothing changes'
      : sent.bouncedAt ? 'it bounced before: nothing changes again'
      : sent.purpose === 'delivery' ? 'if it is the latest attempt of a delivered request, the delivery to the instance is recorded as failed, the request fails (signrelay retry mails it again) and a bounced alert goes out'
      : sent.purpose === 'alert' ? 'an error in the log and a problem in status: alerts.to does not take mail'
      : 'recorded on its request, not answered';
    return { action: 'bounce', reason: `returns ${what}: ${does}; filed in ${config.mailboxes.requests.processed_folder}`, reply: false, bounce: said };
  } finally {
    db.close();
  }
}

function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory, not a mail file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return describeError(err);
}

/**
 * The size the daemon compares with `limits.max_mail_bytes`: IMAP's RFC822.SIZE, which counts
 * every line end as CRLF. A saved .eml usually has bare LF line ends, so its file size is
 * smaller by one byte a line (about 1.3% for base64), enough to flip a mail near the limit.
 */
export function imapSize(raw: Buffer): number {
  let bareLf = 0;
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) {
    if (i === 0 || raw[i - 1] !== 0x0d) bareLf++;
  }
  return raw.length + bareLf;
}

/** The header block of a raw mail (up to the first empty line). */
export function headerPart(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = [crlf, lf].filter((i) => i >= 0).sort((a, b) => a - b)[0];
  return end === undefined ? raw : raw.subarray(0, end + 2);
}
