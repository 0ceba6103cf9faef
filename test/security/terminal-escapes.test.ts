// "Outside text cannot drive the operator's terminal": a request mail whose subject,
// sender address and signer name carry terminal controls (a window-title OSC, colours, the
// one-byte CSI U+009B, a right-to-left override), sent through Dovecot to the real daemon,
// and a provider error message carrying a carriage return and an escape sequence. `show`,
// `requests` and `status` (called as the CLI calls them, on the daemon's database) must
// print none of those characters raw, in text or in --json, and must show them as escapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRequestsCommand } from '../../src/commands/requests.ts';
import { runShowCommand } from '../../src/commands/show.ts';
import { runStatusCommand } from '../../src/commands/status.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { listRequests, type RequestRow } from '../../src/store/requests.ts';
import { minimalConfigYaml, runOperator, tempDir, type TempDir } from '../cli/helpers.ts';
import { buildMail, contractPdf, useWorld } from '../integration/world.ts';
import { waitUntil } from '../support/wait-for-event.ts';

const getWorld = useWorld();

// Stated as the characters themselves (not derived from the module under test). A newline
// is allowed only as the output's own line break, so it is checked apart (line shapes).
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

const SUBJECT = 'Offer \x1b]0;pwned\x07 \x1b[31mRED \u009b2J \u202eRITM0010001';
const SUBJECT_SHOWN = String.raw`Offer \x1b]0;pwned\x07 \x1b[31mRED \x9b2J \u202eRITM0010001`;
// The requester's address carries no control: a From whose local part is not a dot-atom
// (a quoted one could hide an ESC or an override) is refused (mail-address.ts). Its display
// name carries them instead, which the commands never show; the address is shown as it is.
const FROM = 'Helen \x1b[31mOfficer\u202e <helen.officer@corp.example>';
const REQUESTER = 'helen.officer@corp.example';
const REQUESTER_SHOWN = REQUESTER;
// A direction override in a request line is dropped as the line is read (directive-lines.ts);
// the subject above carries one to the commands instead.
const SIGNER_SHOWN = String.raw`Ann \x1b[8mLee\x9b <ann.lee@example.com>`;
// Provider text: mail headers lose a CR on the way (the encoder folds it to a space), an
// API answer does not.
const PROVIDER_MESSAGE = 'busy\r\x1b[2K\x1b[32mall good\u2028\u009d';
const PROVIDER_SHOWN = String.raw`busy\r\x1b[2K\x1b[32mall good\u2028\x9d`;

let dir: TempDir;
let configFile: string;
let request: RequestRow;

const operator = (run: Parameters<typeof runOperator>[0], args: string[]) => runOperator(run, args, configFile);

beforeAll(async () => {
  const world = getWorld();
  dir = await tempDir('signrelay-escapes-');
  configFile = await dir.file('operator.yaml', minimalConfigYaml('routes: {default: {allowed_senders: ["*@corp.example"]}}', world.config.storage.data_dir));
  // The first upload is refused as busy, with hostile text, for an hour: the submit job
  // stays pending with that error, which `show` and `status` report.
  world.simulator.failNext('/Document/Uploader', {
    status: 503, retryAfter: 3600, body: { ResponseStatus: { ErrorCode: 'Busy', Message: PROVIDER_MESSAGE } },
  });
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    from: FROM,
    subject: SUBJECT,
    text: 'Signer: Ann \x1b[8mLee\u009b <ann.lee@example.com>\nDue: 30d\n',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  request = await waitUntil(getWorld().daemon!.events, () => listRequests(getWorld().daemon!.db, {}).find((r) => r.recordNumber === 'RITM0010001'),
    { timeoutMs: 15_000, what: 'the request for RITM0010001' });
  await waitUntil(getWorld().daemon!.events, () => jobsForRequest(getWorld().daemon!.db, request.id).some((j) => j.state === 'pending' && j.lastError?.includes('all good')),
    { timeoutMs: 15_000, what: 'the submit job to be retrying with the provider\'s message' });
}, 180_000);

afterAll(async () => {
  await dir?.remove();
});

describe('outside text in the operator commands', () => {
  it('reaches the database as sent (so the commands really are given hostile text)', () => {
    expect(request.subject).toBe(SUBJECT);
    expect(request.requester).toBe(REQUESTER);
    expect(request.signers[0]).toMatchObject({ firstName: 'Ann', lastName: '\x1b[8mLee\u009b', email: 'ann.lee@example.com' });
  });

  it('show prints it escaped, each field on its own line', async () => {
    const show = await operator(runShowCommand, [request.id]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).not.toMatch(RAW_CONTROL);
    expect(show.stdout).toMatch(new RegExp(`\\nsubject: +${escapeRegExp(SUBJECT_SHOWN)}\\n`));
    expect(show.stdout).toMatch(new RegExp(`\\nrequester: +${escapeRegExp(REQUESTER_SHOWN)}\\n`));
    expect(show.stdout).toMatch(new RegExp(`\\nsigners: +${escapeRegExp(SIGNER_SHOWN)}\\n`));
    // The job's error is one table row, ending in the provider's words, escaped.
    expect(show.stdout).toMatch(new RegExp(`^\\d+ +submit +pending +1 +\\S+ \\S+ +.*${escapeRegExp(PROVIDER_SHOWN)}`, 'm'));
  });

  it('requests keeps its table aligned', async () => {
    const list = await operator(runRequestsCommand, []);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(RAW_CONTROL);
    const [header, row, ...more] = list.stdout.trimEnd().split('\n');
    expect(more).toEqual([]);
    expect(row).toContain(`  ${REQUESTER_SHOWN}  `);
    // The column after REQUESTER starts where its header does.
    expect(row!.indexOf('  1  ') + 2).toBe(header!.indexOf('SIGNERS'));
  });

  it('status prints the provider\'s error escaped', async () => {
    const status = await operator(runStatusCommand, []);
    expect(status.stdout).not.toMatch(RAW_CONTROL);
    expect(status.stdout).toContain(PROVIDER_SHOWN);
  });

  it('--json escapes them too, and parses back to the same text', async () => {
    const outputs = [
      await operator(runShowCommand, [request.id, '--json']),
      await operator(runRequestsCommand, ['--json']),
      await operator(runStatusCommand, ['--json']),
    ];
    for (const { stdout } of outputs) {
      expect(stdout).not.toMatch(RAW_CONTROL);
      expect(() => JSON.parse(stdout)).not.toThrow();
    }
    const [show, list, status] = outputs.map((o) => o.stdout);
    expect(show).toContain(String.raw`RED \u009b2J`);
    expect((JSON.parse(show!) as { request: RequestRow }).request.subject).toBe(SUBJECT);
    expect((JSON.parse(list!) as RequestRow[])[0]!.requester).toBe(REQUESTER);
    expect((JSON.parse(status!) as { queue: { lastError: string } }).queue.lastError).toContain(PROVIDER_MESSAGE);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
