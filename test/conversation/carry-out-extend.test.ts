// The `command` job's extend: the provider is asked once per document, the request's due date,
// the record's note and the answer are committed together; a call whose outcome a crash left
// unknown (an intent without a result) is not made again, and the answer says so; a document
// no longer out for signing, or a due date already as late, changes nothing.
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { createCommandHandler } from '../../src/conversation/carry-out-command.ts';
import type { DocumentPhase, SentDocument, SigningProvider } from '../../src/providers/provider.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { findReplyCommand, recordReplyCommand } from '../../src/store/conversation.ts';
import { queueAnswer } from '../../src/conversation/queue-answer.ts';
import { SignrelayError } from '../../src/errors.ts';
import { addEvent, listEvents } from '../../src/store/events.ts';
import { jobsForRequest, type JobRow } from '../../src/store/jobs.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { getRequest, insertRequest, setDocumentReference, transition } from '../../src/store/requests.ts';
import { createTestLogger } from '../support/test-logger.ts';

const NOW = new Date('2026-11-03T10:00:00Z');
const config = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
const REQUESTER = 'helen.officer@corp.example';

function setUp(phase: DocumentPhase = 'in-progress', documents = 1) {
  const db = openMemoryDatabase();
  const id = insertRequest(db, {
    token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'secured-signing', requester: REQUESTER,
    subject: 'Contract', messageId: '<req@corp.example>', record: { number: 'RITM0010001', table: 'sc_req_item' }, signers: [], dueDate: '2026-11-17',
    documents: Array.from({ length: documents }, (_, i) => ({ fileName: `contract-${i + 1}.pdf`, originalSha256: String(i + 1).repeat(64) })),
  }, NOW);
  for (const state of ['stamped', 'uploaded', 'sent'] as const) transition(db, id, state, NOW);
  setDocumentReference(db, id, 1, 'gBeueUBEgsG5wnzI');
  for (let seq = 2; seq <= documents; seq++) setDocumentReference(db, id, seq, `second-document-${seq}`);
  const calls: Array<{ reference: string; dueAt: string }> = [];
  /** Errors the next extend calls throw after they are carried out (or refused, for a refusal). */
  const failures: SignrelayError[] = [];
  const provider = {
    ...providerTraits({ ...config.provider, type: 'secured-signing' } as typeof config.provider),
    status: async (document: SentDocument) => ({ reference: document.reference, phase, raw: phase, sent: true, signers: [] }),
    extend: async (document: SentDocument, dueAt: Date) => {
      const failure = failures.shift();
      if (failure?.kind === 'permanent') throw failure; // refused: nothing was done
      calls.push({ reference: document.reference, dueAt: dueAt.toISOString() });
      if (failure) throw failure; // carried out, its answer lost
    },
  } as unknown as SigningProvider;
  const handler = createCommandHandler({ db, config, provider, logger: createTestLogger().logger, now: () => NOW });
  const command = (due: string) => {
    const reply = recordReplyCommand(db, {
      mailKey: `<reply.${due}@corp.example>`, requestId: id, sender: REQUESTER, command: 'extend', argument: due,
      outcome: 'queued', reason: 'extend', answerTo: REQUESTER, answerMessageId: null,
    }, NOW)!;
    const job = { id: reply, kind: 'command', requestId: id, payload: { reply, answerTo: REQUESTER, subject: 'Re: Sent', messageId: '<r@corp.example>', references: [] } } as unknown as JobRow;
    return { reply, run: () => handler.run(job), giveUp: (reason: string) => handler.onGiveUp!(job, reason) };
  };
  const answers = () => jobsForRequest(db, id).filter((j) => j.kind === 'mail').map((j) => String((j.payload.message as { text: string }).text));
  const records = () => jobsForRequest(db, id).filter((j) => j.kind === 'record').map((j) => j.payload);
  return { db, id, calls, failures, command, answers, records };
}

describe('extend by reply (the command job)', () => {
  it('answers a due date it moved even past limits.max_replies_per_hour; one it did not move stays held back (conversation review M3)', async () => {
    const { db, id, command, answers } = setUp();
    for (let i = 0; i < config.limits.max_replies_per_hour; i++) {
      queueAnswer(db, config, providerTraits(config.provider), getRequest(db, id)!, { reply: { subject: 'Re: x', messageId: `<s${i}@corp.example>`, references: [] }, to: REQUESTER, said: 'status', withHelp: false }, NOW);
    }
    await command('2026-12-01').run();
    expect(getRequest(db, id)!.dueDate).toBe('2026-12-01');
    expect(answers().at(-1)).toContain(`moved the due date of request ${id} from 2026-11-17 to 2026-12-01.`);
    const before = answers().length;
    await command('2026-11-20').run(); // not later: nothing changed
    expect(answers()).toHaveLength(before);
  });

  it('asks the provider once, moves the due date, queues one note and one answer; a second run does nothing', async () => {
    const { db, id, calls, command, answers, records } = setUp();
    const { reply, run } = command('2026-12-01');
    await run();
    await run();
    expect(calls).toEqual([{ reference: 'gBeueUBEgsG5wnzI', dueAt: '2026-12-01T23:59:59.000Z' }]);
    expect(getRequest(db, id)!.dueDate).toBe('2026-12-01');
    expect(findReplyCommand(db, { id: reply })!.doneAt).not.toBeNull();
    expect(answers()).toHaveLength(1);
    expect(answers()[0]).toContain(`Secured Signing moved the due date of request ${id} from 2026-11-17 to 2026-12-01.`);
    // The answer's footer names the request as it is now.
    expect(answers()[0]).toMatch(/, due 2026-12-01\.\n/);
    const notes = records();
    expect(notes).toHaveLength(1);
    // A moved due date leaves servicenow.status_field alone.
    expect(notes[0]).toMatchObject({ event: 'extended', note: expect.stringContaining(`Due date moved from 2026-11-17 to 2026-12-01, as ${REQUESTER} asked by a reply`) });
    expect(notes[0]).not.toHaveProperty('status');
  });

  it('does not ask again after a crash during the call: the answer says it is not known, the due date stays', async () => {
    const { db, id, calls, command, answers, records } = setUp();
    const { reply, run } = command('2026-12-01');
    addEvent(db, { requestId: id, kind: 'effect', detail: { effect: `reply-extend-${reply}-1`, phase: 'intent', reference: 'gBeueUBEgsG5wnzI' } }, NOW);
    await run();
    expect(calls).toEqual([]);
    expect(answers()[0]).toContain('Whether Secured Signing moved the due date to 2026-12-01 is not known (its answer was lost, or signrelay stopped during the call); it is not asked again');
    expect(getRequest(db, id)!.dueDate).toBe('2026-11-17');
    expect(records()).toEqual([]);
  });

  it('after a crash between the provider\'s answer and the answer mail: not asked again, the due date moved, answered once', async () => {
    const { db, id, calls, command, answers, records } = setUp();
    const { run, reply } = command('2026-12-01');
    // What a run leaves when it dies right after recording the move: intent and done, nothing else.
    for (const phase of ['intent', 'done'] as const) {
      addEvent(db, { requestId: id, kind: 'effect', detail: { effect: `reply-extend-${reply}-1`, phase, reference: 'gBeueUBEgsG5wnzI', dueDate: '2026-12-01' } }, NOW);
    }
    await run();
    expect(calls).toEqual([]);
    expect(getRequest(db, id)!.dueDate).toBe('2026-12-01');
    expect(answers()).toEqual([expect.stringContaining(`Secured Signing moved the due date of request ${id} from 2026-11-17 to 2026-12-01.`)]);
    expect(records()).toHaveLength(1);
  });

  it('does not ask again when the call\'s answer was lost (a timeout, a dropped connection): no `failed`, the answer says it is not known', async () => {
    const { db, id, calls, failures, command, answers } = setUp();
    const { reply, run } = command('2026-12-01');
    failures.push(new SignrelayError('transient', 'provider_connection_lost', 'the connection broke; whether it was done is unknown', { outcomeUnknown: true }));
    await expect(run()).rejects.toMatchObject({ outcomeUnknown: true });
    const phases = () => listEvents(db, id).filter((e) => e.detail?.effect === `reply-extend-${reply}-1`).map((e) => e.detail?.phase);
    expect(phases()).toEqual(['intent']);
    await run(); // the job's retry
    expect(calls).toHaveLength(1);
    expect(answers()[0]).toContain('Whether Secured Signing moved the due date to 2026-12-01 is not known');
    expect(getRequest(db, id)!.dueDate).toBe('2026-11-17');
  });

  it('records `failed` when the provider refused, and a retry asks again', async () => {
    const { db, id, calls, failures, command, answers } = setUp();
    const { reply, run } = command('2026-12-01');
    failures.push(new SignrelayError('permanent', 'provider_refused', 'Secured Signing refused the extension'));
    await expect(run()).rejects.toMatchObject({ code: 'provider_refused' });
    expect(listEvents(db, id).filter((e) => e.detail?.effect === `reply-extend-${reply}-1`).map((e) => e.detail?.phase)).toEqual(['intent', 'failed']);
    await run();
    expect(calls).toHaveLength(1);
    expect(answers()[0]).toContain('moved the due date');
  });

  it('given up after moving one document of two: the answer says what was moved, the request keeps its due date', async () => {
    const { db, id, calls, failures, command, answers } = setUp('in-progress', 2);
    const { run, giveUp } = command('2026-12-01');
    failures.push(undefined as unknown as SignrelayError, new SignrelayError('permanent', 'provider_refused', 'Secured Signing refused the extension'));
    await expect(run()).rejects.toMatchObject({ code: 'provider_refused' });
    giveUp('Secured Signing refused the extension');
    expect(calls.map((c) => c.reference)).toEqual(['gBeueUBEgsG5wnzI']);
    expect(answers()).toEqual([expect.stringContaining('Secured Signing moved the due date to 2026-12-01 for 1 of the request\'s 2 documents; for the others signrelay could not ask Secured Signing (Secured Signing refused the extension). signrelay keeps 2026-11-17 as the request\'s due date')]);
    expect(getRequest(db, id)!.dueDate).toBe('2026-11-17');
  });

  it('given up with one document\'s outcome unknown: the answer says it is not known, not that nothing was done', async () => {
    const { db, id, failures, command, answers } = setUp('in-progress', 2);
    const { run, giveUp, reply } = command('2026-12-01');
    addEvent(db, { requestId: id, kind: 'effect', detail: { effect: `reply-extend-${reply}-2`, phase: 'intent', reference: 'second-document-2' } }, NOW);
    failures.push(new SignrelayError('permanent', 'provider_refused', 'Secured Signing refused the extension'));
    await expect(run()).rejects.toMatchObject({ code: 'provider_refused' });
    giveUp('Secured Signing refused the extension');
    expect(answers()).toEqual([expect.stringContaining('for 0 of the request\'s 2 documents; for the others signrelay could not ask Secured Signing (Secured Signing refused the extension). For 1 of them it is not known whether Secured Signing did it (its answer was lost); it is not asked again.')]);
    expect(answers()[0]).not.toContain('nothing was done');
  });

  it('changes nothing for a document no longer out for signing, or a due date already as late', async () => {
    const signed = setUp('completed');
    await signed.command('2026-12-01').run();
    expect(signed.calls).toEqual([]);
    expect(signed.answers()[0]).toContain('The due date stays 2026-11-17: Secured Signing no longer has the document out for signature.');
    expect(getRequest(signed.db, signed.id)!.dueDate).toBe('2026-11-17');

    const twice = setUp();
    await twice.command('2026-12-01').run();
    await twice.command('2026-11-30').run();
    expect(twice.calls).toHaveLength(1);
    expect(twice.answers()[1]).toContain('is 2026-12-01 already, not earlier than 2026-11-30: nothing was changed.');
    expect(twice.records()).toHaveLength(1);
  });
});
