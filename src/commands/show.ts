// `signrelay show ID`: one request — who asked, for which record, its documents, its jobs
// and its timeline from the audit trail. ID is a request id (r_…) or a record number; a
// record with several requests lists them.
import { isPurgeNote } from '../store/retention.ts';
import { parseCommand } from '../cli-io/command-args.ts';
import { describeEvent } from '../cli-io/describe-event.ts';
import { formatTable, shortTime } from '../cli-io/format-table.ts';
import { loadReadingOperatorConfig, readState } from '../cli-io/open-state.ts';
import { escapeForTerminal, jsonForTerminal } from '../terminal-text.ts';
import { SignrelayError } from '../errors.ts';
import { listEvents } from '../store/events.ts';
import { jobsForRequest } from '../store/jobs.ts';
import type { Db } from '../store/open-database.ts';
import { getDocuments, getRequest, type RequestRow, type SignersFrom } from '../store/requests.ts';
import { authenticationWords, requestMailIn, type RequestMail } from '../store/request-mail-event.ts';
import { formatSigner } from '../signer.ts';
import type { CommandIo } from './run.ts';
import { operatorCommand } from '../service-unit.ts';
import { isHeld } from '../store/restore-holds.ts';

const USAGE = `usage: signrelay show ID [--json] [--config FILE]

One request and its timeline. ID is a request id (r_…) or a record number (RITM0010001).
`;

function findRequests(db: Db, id: string): RequestRow[] {
  const byId = getRequest(db, id);
  if (byId) return [byId];
  const ids = db.prepare('SELECT id FROM requests WHERE record_number = ? COLLATE NOCASE ORDER BY created_at').all(id) as Array<{ id: string }>;
  return ids.map((r) => getRequest(db, r.id)!);
}

export async function runShowCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand('show', args, {}, USAGE, io, { min: 1, max: 1 });
  if (typeof parsed === 'number') return parsed;
  const id = parsed.positionals[0]!;
  return readState(loadReadingOperatorConfig(parsed.values.config, io.stderr), (db) => {
    const found = findRequests(db, id);
    if (found.length === 0) {
      throw new SignrelayError('input', 'request_unknown', `no request ${id} (give a request id like r_… from \`${operatorCommand('requests')}\`, or a record number; a mail refused at intake keeps no record number: \`${operatorCommand('requests --state rejected')}\` lists them with their subjects and reasons)`);
    }
    if (found.length > 1) {
      io.stdout.write(`${found.length} requests for ${id}; show one by its id:\n${formatTable(['ID', 'STATE', 'CREATED (UTC)'], found.map((r) => [r.id, r.state, shortTime(r.createdAt)]))}\n`);
      return 0;
    }
    const request = found[0]!;
    const events = listEvents(db, request.id);
    // The request mail's event (its sender and how intake authenticated them) named on its own: an auditor starts there.
    const details = { request, requestMail: requestMailIn(events) ?? null, held: isHeld(db, request.id), documents: getDocuments(db, request.id), jobs: jobsForRequest(db, request.id), events };
    io.stdout.write(parsed.values.json ? `${jsonForTerminal(details, 2)}\n` : formatRequest(details));
    return 0;
  });
}

/** Where the signers came from (requests.signers_from), in words. */
const SIGNERS_FROM: Record<SignersFrom, string> = {
  mail: 'the request mail\'s Signer lines',
  route: 'the route\'s default signers (routes.NAME.signers)',
  pdf: 'the PDF\'s own signature tags',
  none: 'nowhere: none were named',
};

interface Details {
  request: RequestRow;
  requestMail: RequestMail | null;
  held: boolean;
  documents: ReturnType<typeof getDocuments>;
  jobs: ReturnType<typeof jobsForRequest>;
  events: ReturnType<typeof listEvents>;
}

function formatRequest(d: Details): string {
  const purgedAt = d.events.find(isPurgeNote)?.at;
  const r = d.request;
  // Values are the mail's and the provider's words: escaped, so each stays on its line.
  const field = (name: string, value: string | null) => `${`${name}:`.padEnd(15)}${value === null ? '-' : escapeForTerminal(value)}`;
  const lines = [
    field('request', r.id),
    field('state', r.reason ? `${r.state} (${r.reason})` : r.state),
    ...(d.held ? [field('held', `since a restore was found: nothing of it runs until \`${operatorCommand(`release ${r.id}`)}\` (check it at the provider and on its record first)`)] : []),
    field('record', [r.recordTable, r.recordNumber].filter(Boolean).join(' ') || null),
    field('requester', r.requester),
    ...(r.state === 'rejected' ? [] : [field('authenticated', authenticatedLine(r, d.requestMail))]),
    field('mail', r.messageId),
    field('subject', r.subject || null),
    field('route', `${r.route} (provider ${r.provider})`),
    field('signers', r.signers.map(formatSigner).join('; ')),
    ...(r.state === 'rejected' ? [] : [field('signers from', SIGNERS_FROM[r.signersFrom].replace('NAME', r.route))]),
    field('due', r.dueDate),
    field('token', r.token),
    field('created', `${shortTime(r.createdAt)} UTC, updated ${shortTime(r.updatedAt)} UTC`),
    '',
    formatTable(['DOC', 'FILE', 'PROVIDER REF', 'SIGNED', 'ATTACHMENT'],
      d.documents.map((doc) => [doc.seq, doc.fileName, doc.providerRef, doc.signedSha256 ? (purgedAt ? `yes (file deleted ${purgedAt.slice(0, 10)})` : 'yes') : 'no', doc.attachmentSysId])),
  ];
  // In full: they are what an auditor compares with the files (the mail's attachment, the provider's, the record's).
  if (d.documents.length > 0) {
    lines.push('', formatTable(['DOC', 'COPY', 'SHA-256'], d.documents.flatMap((doc) => [
      [doc.seq, 'original', doc.originalSha256],
      [doc.seq, 'stamped', doc.stampedSha256],
      [doc.seq, 'signed', doc.signedSha256],
    ])));
  }
  if (d.jobs.length > 0) {
    lines.push('', formatTable(['JOB', 'KIND', 'STATE', 'ATTEMPTS', 'NEXT RUN (UTC)', 'LAST ERROR'],
      d.jobs.map((j) => [j.id, j.kind, j.state, j.attempts, j.state === 'pending' ? shortTime(j.runAt) : null, j.lastError])));
  }
  lines.push('', formatTable(['TIME (UTC)', 'EVENT', 'DETAIL'], d.events.map((e) => {
    const line = describeEvent(e);
    return [shortTime(line.at), line.what, line.detail];
  })));
  return `${lines.join('\n')}\n`;
}

/** How intake authenticated the request mail's sender, and which address that was when the requester is its Reply-To. */
function authenticatedLine(r: RequestRow, mail: RequestMail | null): string {
  if (!mail) return 'not recorded (accepted before signrelay kept it)';
  const from = mail.from.toLowerCase() === r.requester.toLowerCase() ? '' : ` — the From ${mail.from}`;
  return `${authenticationWords(mail.authenticated)}${mail.required && mail.authenticated !== 'not required' ? `, as ${mail.required} requires` : ''}${from}`;
}
