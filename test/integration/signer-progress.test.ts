// Progress per signer, through the whole daemon (Dovecot, the provider's and the ServiceNow
// simulator), once per provider: the simulator lets one signer sign at a time (Secured
// Signing's "1 of 2 Signed", Signicat's task by task), reconciliation — the daemon's own
// reconcile task on its database — notes each signature on the record once, in signing
// order, and never twice: not when a pass sees no change, not across a restart. Each note
// says whose invitation was signed (not who signed it) and when, as the provider reports it,
// in UTC. A completion that comes first is the signed note naming everyone invited (no
// "signed" note after it). A hostile name from a PDF's own tags reaches the note inert.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { createProvider } from '../../src/providers/create-provider.ts';
import { PROVIDER_NAMES } from '../../src/sandbox/simulated-provider.ts';
import { createReconcileTask } from '../../src/scheduler/reconcile-sent-requests.ts';
import { openDatabase, type Db } from '../../src/store/open-database.ts';
import { getRequest, listRequests, type RequestRow } from '../../src/store/requests.ts';
import { pdfWithLines } from '../sandbox/fixtures.ts';
import { utcMinute } from '../../src/time.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, sendRequest, type World } from './world.ts';
import { notesOf, providerNotice, signAndDeliver, simulated, statusValues, useRecordWorld } from './record-world.ts';

const TWO_SIGNERS = 'Signer 1: Ann Lee <ann.lee@example.com>\nSigner 2: Bob Ray <bob.ray@corp.example>';

/** One pass of the daemon's reconcile task over `db` (the daemon's, or the data dir opened while it is stopped). */
async function reconcile(world: World, db: Db): Promise<Record<string, number>> {
  const task = createReconcileTask({
    db, config: world.config, logger: silentLogger(), jobsQueued: () => world.daemon?.jobs.poke(),
    provider: createProvider(world.config.provider, { db, logger: silentLogger() }),
  });
  const report = await task.run({ now: () => new Date(), signal: new AbortController().signal });
  expect(report.problems).toEqual([]);
  return report.counts;
}

const progressNotes = (world: World, record: string) => notesOf(world, record).filter((n) => / invitation signed, \d+ of \d+/.test(n));

/** Runs `sign` and gives the minutes (UTC, as notes write them) a signature made during it can carry. */
async function signingMinutes(sign: () => Promise<unknown>): Promise<string[]> {
  const before = new Date();
  await sign();
  return [...new Set([utcMinute(before), utcMinute(new Date())])];
}

/** The time a note gives for a signature "as <provider> reports", or null. */
const reportedMinute = (note: string | undefined, display: string) => new RegExp(`at (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC) as ${display} reports`).exec(note ?? '')?.[1] ?? null;

async function notesBecome(world: World, record: string, count: number): Promise<string[]> {
  await waitFor(() => notesOf(world, record).length >= count, { timeoutMs: 15_000, what: `${count} notes on ${record}`, describe: () => notesOf(world, record) });
  await world.daemon!.jobs.idle();
  return notesOf(world, record);
}

function delivered(world: World, request: Pick<RequestRow, 'id'>): Promise<unknown> {
  return waitFor(() => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'the request delivered', describe: () => getRequest(world.daemon!.db, request.id) });
}

describe.each(PROVIDER_NAMES)('%s: each signer\'s signature on the record', (provider) => {
  const getWorld = useRecordWorld({ provider });

  it('two signers one after the other: two notes in signing order, each once — no new note without a change, none doubled by a restart', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010001', { text: TWO_SIGNERS });
    const display = world.signing.displayName;
    const marker = (n: number) => new RegExp(`^Ann Lee's invitation signed, 1 of 2 \\(ann\\.lee@example\\.com\\), at [0-9: -]+ UTC as ${display} reports\\. \\(signrelay ${request.id}, progress #\\d+\\)$`).test(notesOf(world, 'RITM0010001')[n] ?? '');
    await notesBecome(world, 'RITM0010001', 1); // the sent note
    const atProvider = simulated(world, request);

    const annSigned = await signingMinutes(async () => expect(await world.signing.signNext(atProvider)).toBe(1));
    expect(await reconcile(world, world.daemon!.db)).toMatchObject({ checked: 1, signersNoted: 1, queued: 0 });
    await notesBecome(world, 'RITM0010001', 2);
    expect(marker(1)).toBe(true);
    expect(annSigned).toContain(reportedMinute(notesOf(world, 'RITM0010001')[1], display)); // the provider's time, not the pass's

    // No change at the provider: nothing new, however often reconciliation looks.
    expect(await reconcile(world, world.daemon!.db)).toMatchObject({ checked: 1, signersNoted: 0 });
    expect(await reconcile(world, world.daemon!.db)).toMatchObject({ checked: 1, signersNoted: 0 });
    await world.daemon!.jobs.idle();
    expect(progressNotes(world, 'RITM0010001')).toHaveLength(1);

    // A restart between passes, and the second signer signs meanwhile — the last signature,
    // so the provider completes (Signicat mails its notice now; it waits in the mailbox).
    await world.stopDaemon();
    const db = openDatabase(world.config.storage.data_dir);
    let bobSigned: string[] = [];
    try {
      bobSigned = await signingMinutes(async () => expect(await world.signing.signNext(atProvider)).toBe(2));
      expect(await reconcile(world, db)).toMatchObject({ checked: 1, signersNoted: 1 });
      expect(await reconcile(world, db)).toMatchObject({ signersNoted: 0 });
    } finally {
      db.close();
      world.startDaemon();
    }
    await providerNotice(world, request.token, 'contract has been signed');
    await delivered(world, request);
    const notes = await notesBecome(world, 'RITM0010001', 4);
    expect(notes.map((n) => n.replace(/ \(signrelay r_\w+, \w+ #\d+\)$/, ''))).toEqual([
      expect.stringMatching(/^Sent for signature to Ann Lee <ann\.lee@example\.com>, Bob Ray <bob\.ray@corp\.example> via /),
      `Ann Lee's invitation signed, 1 of 2 (ann.lee@example.com), at ${reportedMinute(notes[1], display)} as ${display} reports.`,
      `Bob Ray's invitation signed, 2 of 2 (bob.ray@corp.example), at ${reportedMinute(notes[2], display)} as ${display} reports.`,
      expect.stringMatching(new RegExp(`^Signed via ${display} \\(\\w+ [^)]+\\): every invitation signed, the last at [0-9: -]+ UTC as ${display} reports \\(invited: Ann Lee <ann\\.lee@example\\.com>, Bob Ray <bob\\.ray@corp\\.example>\\); attached by signrelay, request ${request.id}\\.$`)),
    ]);
    expect(bobSigned).toContain(reportedMinute(notes[2], display));
    expect(bobSigned).toContain(reportedMinute(notes[3], display)); // the last signature is Bob's
    expect(notes[2]).toMatch(new RegExp(`\\(signrelay ${request.id}, progress #\\d+\\)$`));
    // A pass after the delivery: nothing to note. The status field never heard of the progress.
    expect(await reconcile(world, world.daemon!.db)).toMatchObject({ checked: 0, signersNoted: 0 });
    expect(progressNotes(world, 'RITM0010001')).toHaveLength(2);
    expect(statusValues(world, 'RITM0010001')).toEqual(['sent', 'signed']);
  });

  it('the completion first: the signed note names every signer, and no "signed" note follows it', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010002', { text: TWO_SIGNERS });
    await signAndDeliver(world, request);
    expect(await reconcile(world, world.daemon!.db)).toMatchObject({ signersNoted: 0 });
    const notes = await notesBecome(world, 'RITM0010002', 2);
    expect(notes).toHaveLength(2);
    expect(notes[1]).toMatch(/^Signed via [^:]+: every invitation signed, the last at [0-9: -]+ UTC as [\w ]+ reports \(invited: Ann Lee <ann\.lee@example\.com>, Bob Ray <bob\.ray@corp\.example>\); attached by signrelay, request /);
  });
});

describe('secured-signing: a hostile signer name from a PDF\'s own tags', () => {
  const getWorld = useRecordWorld();

  it('reaches the note inert: no markup, no mention, one line', async () => {
    const world = getWorld();
    // A tag cannot hold `]`, `,` or a line break (the reader ends or joins it there), so the
    // worst a PDF's own tag carries is an opening bracket, angle brackets and a mention.
    const pdf = await pdfWithLines([
      '[!Sign.1,[code<img src=x onerror=alert(1)>,@[sys_id:6816f79c:Admin,ann.lee@example.com]',
      '[!Sign.2,Bob,Ray,bob.ray@corp.example]',
    ]);
    await world.dovecot.deliver('sign@corp.example', await buildMail({ subject: 'Contract for RITM0010003', attachments: [{ filename: 'prepared.pdf', content: pdf }] }));
    const request = await waitFor(() => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0010003'),
      { timeoutMs: 20_000, what: 'the prepared request sent', describe: () => listRequests(world.daemon!.db).map((r) => [r.state, r.reason]) });
    expect(request.signersFrom).toBe('pdf');
    expect(request.signers[0]).toMatchObject({ firstName: '[code<img src=x onerror=alert(1)>', lastName: '@[sys_id:6816f79c:Admin' });

    await world.signing.signNext(simulated(world, request));
    expect(await reconcile(world, world.daemon!.db)).toMatchObject({ signersNoted: 1 });
    await notesBecome(world, 'RITM0010003', 2);
    const [note] = progressNotes(world, 'RITM0010003');
    expect(note).toMatch(new RegExp(`^\\(code\\(img src=x onerror=alert\\(1\\)\\) \\(at\\)\\(sys_id:6816f79c:Admin's invitation signed, 1 of 2 \\(ann\\.lee@example\\.com\\), at [0-9: -]+ UTC as Secured Signing reports\\. \\(signrelay ${request.id}, progress #\\d+\\)$`));
    expect(note).not.toMatch(/[[\]<>\r\n]|@\[|(^|\s)@/);
  });
});
