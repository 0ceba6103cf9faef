// A `cancel` reply is answered with what really happened, never before (review finding 2):
// the answer is queued by the cancel job in the transaction of the `cancelled` state; a
// completion that wins the race — before the reply is committed, or before its job runs —
// gets the requester an answer saying what the request became, and nothing is withdrawn.
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { createCancelHandler } from '../../src/completion/cancel-request.ts';
import { cancelReplyAnswerer } from '../../src/conversation/answer-cancel.ts';
import { withReplyCommands } from '../../src/conversation/process-reply-mail.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { silentLogger } from '../../src/log.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import type { SigningProvider } from '../../src/providers/provider.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { listReplyCommands } from '../../src/store/conversation.ts';
import { queueAnswer } from '../../src/conversation/queue-answer.ts';
import { openMemoryDatabase, type Db } from '../../src/store/open-database.ts';
import { getRequest, transition } from '../../src/store/requests.ts';
import { NOW, REQUESTER, sentRequest, watched } from './sent-request.ts';

const config = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
const traits = providerTraits(config.provider);

function setUp(beforeCommit?: (db: Db, id: string) => void) {
  const db = openMemoryDatabase();
  const { id, secret } = sentRequest(db, config, 'abcdefghijklmnopqrst');
  const raw = Buffer.from(`From: Helen <${REQUESTER}>\r\nTo: sign+${secret}@corp.example\r\nSubject: Re: x\r\nMessage-ID: <cancel@corp.example>\r\n\r\ncancel wrong version\r\n`);
  const message = watched(raw, 1, () => beforeCommit?.(db, id));
  const handler = withReplyCommands({ db, config, policy: intakePolicyFrom(config), provider: traits, logger: silentLogger(), now: () => NOW },
    async () => { throw new Error('taken for a request'); });
  // The request has no document at the provider yet: nothing to withdraw, the state and the answer are what is tested.
  const cancel = createCancelHandler({ db, config, provider: { ...traits } as unknown as SigningProvider, logger: silentLogger(), now: () => NOW, answerReply: cancelReplyAnswerer(db, config, traits) });
  const answers = () => jobsForRequest(db, id).filter((j) => j.kind === 'mail' && j.payload.purpose === 'answer').map((j) => String((j.payload.message as { text: string }).text));
  const cancelJob = () => jobsForRequest(db, id).find((j) => j.kind === 'cancel');
  return { db, id, run: () => handler(message), cancel, answers, cancelJob };
}

describe('the answer to a cancel reply', () => {
  it('is queued with the cancelled state, not with the reply; a second run of the job answers nothing more', async () => {
    const t = setUp();
    await t.run();
    expect(t.answers()).toHaveLength(0);
    expect(listReplyCommands(t.db, t.id)[0]).toMatchObject({ outcome: 'queued', doneAt: null });
    await t.cancel.run(t.cancelJob()!);
    expect(getRequest(t.db, t.id)!.state).toBe('cancelled');
    expect(t.answers()).toHaveLength(1);
    expect(t.answers()[0]).toContain(`Request ${t.id} is withdrawn`);
    expect(t.answers()[0]).toContain('Your reason: "wrong version"');
    expect(listReplyCommands(t.db, t.id)[0]!.doneAt).not.toBeNull();
    await t.cancel.run(t.cancelJob()!);
    expect(t.answers()).toHaveLength(1);
  });

  it('says what the request became when a completion came before the job ran', async () => {
    const t = setUp();
    await t.run();
    transition(t.db, t.id, 'completed', NOW);
    await t.cancel.run(t.cancelJob()!); // not thrown: answered
    expect(getRequest(t.db, t.id)!.state).toBe('completed');
    expect(t.answers()).toEqual([expect.stringContaining(`Request ${t.id} could not be withdrawn: it is signed already and is being delivered. Nothing was changed.`)]);
  });

  it('is answered when the request was cancelled by someone else before the job ran', async () => {
    const t = setUp();
    await t.run();
    transition(t.db, t.id, 'cancelled', NOW, { reason: 'cancelled by an operator' });
    await t.cancel.run(t.cancelJob()!);
    expect(t.answers()).toEqual([expect.stringContaining(`Request ${t.id} could not be withdrawn`)]);
    expect(listReplyCommands(t.db, t.id)[0]!.doneAt).not.toBeNull();
    await t.cancel.run(t.cancelJob()!);
    expect(t.answers()).toHaveLength(1);
  });

  it('is decided on the request as it is when the reply is committed, not as it was before the IMAP fetches', async () => {
    const t = setUp((db, id) => transition(db, id, 'completed', NOW));
    await t.run();
    expect(t.cancelJob()).toBeUndefined();
    expect(t.answers()).toEqual([expect.stringContaining(`Request ${t.id} cannot be cancelled: it is signed already and is being delivered.`)]);
  });

  it('tells the requester when the job gives up before anything was withdrawn', async () => {
    const t = setUp();
    await t.run();
    t.cancel.onGiveUp!(t.cancelJob()!, 'the provider refused');
    expect(t.answers()).toEqual([expect.stringContaining(`signrelay could not withdraw request ${t.id} (the provider refused)`)]);
  });

  it('goes past the hourly answer limit when the request was withdrawn: five answers this hour, then cancel — she is told it is withdrawn (conversation review M3)', async () => {
    const t = setUp();
    const other = sentRequest(t.db, config, 'bcdefghijklmnopqrstu');
    for (let i = 0; i < config.limits.max_replies_per_hour; i++) {
      queueAnswer(t.db, config, traits, getRequest(t.db, other.id)!, { reply: { subject: 'Re: x', messageId: `<s${i}@corp.example>`, references: [] }, to: REQUESTER, said: 'status', withHelp: false }, NOW);
    }
    await t.run();
    expect(listReplyCommands(t.db, t.id)[0]).toMatchObject({ command: 'cancel', outcome: 'queued', answerTo: REQUESTER });
    await t.cancel.run(t.cancelJob()!);
    expect(getRequest(t.db, t.id)!.state).toBe('cancelled');
    expect(t.answers()).toEqual([expect.stringContaining(`Request ${t.id} is withdrawn`)]);
  });

  it('past the limit, a cancel that changed nothing stays unanswered, and the limit still counts it', async () => {
    const t = setUp();
    const other = sentRequest(t.db, config, 'bcdefghijklmnopqrstu');
    for (let i = 0; i < config.limits.max_replies_per_hour; i++) {
      queueAnswer(t.db, config, traits, getRequest(t.db, other.id)!, { reply: { subject: 'Re: x', messageId: `<s${i}@corp.example>`, references: [] }, to: REQUESTER, said: 'status', withHelp: false }, NOW);
    }
    await t.run();
    transition(t.db, t.id, 'completed', NOW);
    await t.cancel.run(t.cancelJob()!);
    expect(t.answers()).toEqual([]);
    expect(listReplyCommands(t.db, t.id)[0]!.doneAt).not.toBeNull();
  });
});
