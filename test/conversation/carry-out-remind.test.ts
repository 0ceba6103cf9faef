// The `command` job's remind: one reminder a day at most, whoever asks — a requester's fifty
// `remind` replies (or one right after the scheduled reminder) do not put fifty reminders in a
// signer's inbox; the answer says when the next can go.
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { createCommandHandler } from '../../src/conversation/carry-out-command.ts';
import type { SentDocument, SigningProvider } from '../../src/providers/provider.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { recordReplyCommand } from '../../src/store/conversation.ts';
import { addEvent } from '../../src/store/events.ts';
import { jobsForRequest, type JobRow } from '../../src/store/jobs.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { insertRequest, setDocumentReference, transition } from '../../src/store/requests.ts';
import { createRemindersTask } from '../../src/scheduler/send-reminders.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { waitFor } from '../support/wait-for.ts';

const T0 = new Date('2026-11-03T10:00:00Z');
const HOUR = 3_600_000;
const config = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
const REQUESTER = 'helen.officer@corp.example';

/** A request of one document, sent on T0 and due 2026-11-17. */
function sentRequest() {
  const db = openMemoryDatabase();
  const id = insertRequest(db, {
    token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'secured-signing', requester: REQUESTER,
    subject: 'Contract', messageId: '<req@corp.example>', record: { number: 'RITM0010001', table: 'sc_req_item' }, signers: [], dueDate: '2026-11-17',
    documents: [{ fileName: 'contract.pdf', originalSha256: '1'.repeat(64) }],
  }, T0);
  for (const state of ['stamped', 'uploaded', 'sent'] as const) transition(db, id, state, T0);
  setDocumentReference(db, id, 1, 'gBeueUBEgsG5wnzI');
  return { db, id };
}

function setUp(signed: boolean[] = [false]) {
  const { db, id } = sentRequest();
  const reminded: string[] = [];
  const clock = { now: T0 };
  const provider = {
    ...providerTraits({ ...config.provider, type: 'secured-signing' } as typeof config.provider),
    status: async (document: SentDocument) => ({
      reference: document.reference, phase: 'in-progress', raw: 'InProgress', sent: true, signers: signed.map((hasSigned, i) => ({ email: `s${i}@corp.example`, hasSigned })),
    }),
    sendReminder: async (document: SentDocument) => { reminded.push(`${document.reference} ${clock.now.toISOString()}`); },
  } as unknown as SigningProvider;
  const handler = createCommandHandler({ db, config, provider, logger: createTestLogger().logger, now: () => clock.now });
  let n = 0;
  const remind = async () => {
    n++;
    const reply = recordReplyCommand(db, {
      mailKey: `<remind.${n}@corp.example>`, requestId: id, sender: REQUESTER, command: 'remind', argument: null,
      outcome: 'queued', reason: 'remind', answerTo: REQUESTER, answerMessageId: null,
    }, clock.now)!;
    const job = { id: reply, kind: 'command', requestId: id, payload: { reply, answerTo: REQUESTER, subject: 'Re: Sent', messageId: `<r${n}@corp.example>`, references: [] } } as unknown as JobRow;
    await handler.run(job);
  };
  const answers = () => jobsForRequest(db, id).filter((j) => j.kind === 'mail').map((j) => String((j.payload.message as { text: string }).text));
  return { db, id, clock, reminded, remind, answers };
}

describe('remind by reply', () => {
  it('sends one reminder a day at most, and says when the next can go', async () => {
    const { clock, reminded, remind, answers } = setUp();
    await remind();
    clock.now = new Date(T0.getTime() + HOUR);
    await remind();
    expect(reminded).toEqual([`gBeueUBEgsG5wnzI ${T0.toISOString()}`]);
    expect(answers()[1]).toContain('The signers were reminded on 2026-11-03 10:00 UTC; another reminder can go from 2026-11-04 10:00 UTC: reply "remind" again then.');
    clock.now = new Date(T0.getTime() + 25 * HOUR);
    await remind();
    expect(reminded).toHaveLength(2);
  });

  it('counts the scheduled reminder too', async () => {
    const { db, id, clock, reminded, remind, answers } = setUp();
    addEvent(db, { requestId: id, kind: 'effect', detail: { effect: 'reminder', phase: 'intent', seq: 1, reference: 'gBeueUBEgsG5wnzI' } }, T0);
    clock.now = new Date(T0.getTime() + 2 * HOUR);
    await remind();
    expect(reminded).toEqual([]);
    expect(answers()[0]).toContain('The signers were reminded on 2026-11-03 10:00 UTC');
  });

  it('does not count a reminder that failed: it reminded nobody', async () => {
    const { db, id, clock, reminded, remind } = setUp();
    addEvent(db, { requestId: id, kind: 'effect', detail: { effect: 'reply-reminder-99-1', phase: 'intent', reference: 'gBeueUBEgsG5wnzI' } }, T0);
    addEvent(db, { requestId: id, kind: 'effect', detail: { effect: 'reply-reminder-99-1', phase: 'failed', error: 'HTTP 500' } }, T0);
    clock.now = new Date(T0.getTime() + HOUR);
    await remind();
    expect(reminded).toHaveLength(1);
  });

  it('reminds nobody when every signer has signed and the provider is still finishing ("1 of 1 Signed")', async () => {
    const { reminded, remind, answers } = setUp([true]);
    await remind();
    expect(reminded).toEqual([]);
    expect(answers()[0]).toContain('Nobody was reminded');
  });
});

describe('remind by reply beside the scheduled reminder', () => {
  // Both read the status before reminding; each is held there until the other is too, then
  // let go in either order: one reminder, and the reply is told when the next can go.
  for (const first of ['schedule', 'reply'] as const) {
    it(`reminds once when both ask at the same moment (${first} resumes first)`, async () => {
      const { db, id } = sentRequest();
      const now = new Date('2026-11-16T12:00:00Z'); // due 2026-11-17: inside the schedule's window
      const held = new Map<string, () => void>();
      const reminded: string[] = [];
      let asking: 'schedule' | 'reply' = 'schedule';
      const provider = {
        ...providerTraits({ ...config.provider, type: 'secured-signing' } as typeof config.provider),
        status: async (document: SentDocument) => {
          const who = asking;
          await new Promise<void>((resolve) => held.set(who, resolve));
          return { reference: document.reference, phase: 'in-progress', raw: 'InProgress', sent: true, signers: [{ email: 's0@corp.example', hasSigned: false }] };
        },
        sendReminder: async (document: SentDocument) => { reminded.push(document.reference); },
      } as unknown as SigningProvider;
      const logger = createTestLogger().logger;
      const reply = recordReplyCommand(db, {
        mailKey: '<remind.race@corp.example>', requestId: id, sender: REQUESTER, command: 'remind', argument: null,
        outcome: 'queued', reason: 'remind', answerTo: REQUESTER, answerMessageId: null,
      }, now)!;
      const job = { id: reply, kind: 'command', requestId: id, payload: { reply, answerTo: REQUESTER, subject: 'Re: Sent', messageId: '<r.race@corp.example>', references: [] } } as unknown as JobRow;

      const scheduled = createRemindersTask({ db, config, provider, logger }).run({ now: () => now, signal: new AbortController().signal });
      await waitFor(() => held.has('schedule'), { what: 'the schedule reading the status' });
      asking = 'reply';
      const byReply = createCommandHandler({ db, config, provider, logger, now: () => now }).run(job);
      await waitFor(() => held.has('reply'), { what: 'the reply reading the status' });
      held.get(first)!();
      await (first === 'schedule' ? scheduled : byReply);
      held.get(first === 'schedule' ? 'reply' : 'schedule')!();
      await Promise.all([scheduled, byReply]);

      expect(reminded).toEqual(['gBeueUBEgsG5wnzI']);
      const answer = jobsForRequest(db, id).filter((j) => j.kind === 'mail').map((j) => String((j.payload.message as { text: string }).text));
      expect(answer).toHaveLength(1);
      expect(answer[0]).toMatch(first === 'schedule' ? /The signers were reminded on 2026-11-16 12:00 UTC; another reminder can go from 2026-11-17 12:00 UTC/ : /reminded the signers who have not signed yet/);
    });
  }
});

