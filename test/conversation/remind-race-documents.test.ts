// A scheduled reminder and a reply's `remind` at the same moment, on a request of two
// documents whose first has nobody left to sign: the reply looks again for another's
// reminder with its intent for every document, not only the first — one reminder for
// document 2 (diff review 11).
import { expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { createCommandHandler } from '../../src/conversation/carry-out-command.ts';
import type { SentDocument, SigningProvider } from '../../src/providers/provider.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { createRemindersTask } from '../../src/scheduler/send-reminders.ts';
import { recordReplyCommand } from '../../src/store/conversation.ts';
import type { JobRow } from '../../src/store/jobs.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { insertRequest, setDocumentReference, transition } from '../../src/store/requests.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { waitFor } from '../support/wait-for.ts';

const config = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
const SENT = new Date('2026-11-03T10:00:00Z');
const NOW = new Date('2026-11-16T12:00:00Z'); // inside the reminder window of a request due 2026-11-17
const REQUESTER = 'helen.officer@corp.example';

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

it('document 1 all signed, document 2 waiting: a reply `remind` beside the schedule reminds document 2 once', async () => {
  const db = openMemoryDatabase();
  const id = insertRequest(db, {
    token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'secured-signing', requester: REQUESTER,
    subject: 'Contract', messageId: '<req@corp.example>', record: { number: 'RITM0010001', table: 'sc_req_item' }, signers: [], dueDate: '2026-11-17',
    documents: [{ fileName: 'a.pdf', originalSha256: '1'.repeat(64) }, { fileName: 'b.pdf', originalSha256: '2'.repeat(64) }],
  }, SENT);
  for (const state of ['stamped', 'uploaded', 'sent'] as const) transition(db, id, state, SENT);
  setDocumentReference(db, id, 1, 'DOC1signedByAll00');
  setDocumentReference(db, id, 2, 'DOC2stillWaiting0');

  const reminded: Array<{ by: string; reference: string }> = [];
  const heldDoc2: Record<string, ReturnType<typeof gate> & { reached: boolean }> = {};
  // One provider per caller, so the test knows whose status read of document 2 it releases.
  const providerFor = (by: string) => ({
    ...providerTraits({ ...config.provider, type: 'secured-signing' } as typeof config.provider),
    status: async (document: SentDocument) => {
      if (document.reference === 'DOC1signedByAll00') {
        return { reference: document.reference, phase: 'in-progress', raw: 'InProgress', sent: true, signers: [{ email: 's0@corp.example', hasSigned: true }] };
      }
      const held = (heldDoc2[by] = { ...gate(), reached: true });
      await held.promise;
      return { reference: document.reference, phase: 'in-progress', raw: 'InProgress', sent: true, signers: [{ email: 's0@corp.example', hasSigned: false }] };
    },
    sendReminder: async (document: SentDocument) => { reminded.push({ by, reference: document.reference }); },
  }) as unknown as SigningProvider;
  const logger = createTestLogger().logger;

  const task = createRemindersTask({ db, config, provider: providerFor('schedule'), logger });
  const command = createCommandHandler({ db, config, provider: providerFor('reply'), logger, now: () => NOW });
  const reply = recordReplyCommand(db, {
    mailKey: '<remind.1@corp.example>', requestId: id, sender: REQUESTER, command: 'remind', argument: null,
    outcome: 'queued', reason: 'remind', answerTo: REQUESTER, answerMessageId: null,
  }, NOW)!;
  const job = { id: 99, kind: 'command', requestId: id, attempts: 0, payload: { reply, answerTo: REQUESTER, subject: 'Re: Sent', messageId: '<r1@corp.example>', references: [] } } as unknown as JobRow;

  const scheduled = task.run({ now: () => NOW, signal: new AbortController().signal });
  const byReply = command.run(job);
  await waitFor(() => heldDoc2.schedule?.reached === true && heldDoc2.reply?.reached === true, { what: 'both reading document 2' });
  heldDoc2.schedule!.open(); // the schedule reminds document 2 first …
  await scheduled;
  heldDoc2.reply!.open(); // … then the reply's status read of document 2 returns
  await byReply;

  expect(reminded).toEqual([{ by: 'schedule', reference: 'DOC2stillWaiting0' }]);
});
