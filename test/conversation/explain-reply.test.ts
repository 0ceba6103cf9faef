// `signrelay explain` for a reply reports what the daemon would really do (review finding 9):
// a reply it recorded already is done nothing with again, and an answer over the hourly
// limit (limits.max_replies_per_hour) is held back — a `status` then not carried out at all,
// a command that may change something answered all the same (conversation review L4, M3).
import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { configSchema } from '../../src/config/schema.ts';
import { explainReply } from '../../src/conversation/explain-reply.ts';
import { withReplyCommands } from '../../src/conversation/process-reply-mail.ts';
import { queueAnswer } from '../../src/conversation/queue-answer.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { silentLogger } from '../../src/log.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { getRequest } from '../../src/store/requests.ts';
import { listReplyCommands } from '../../src/store/conversation.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { NOW, REQUESTER, sentRequest, watched } from './sent-request.ts';

const base = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
const config = configSchema.parse({ ...base, limits: { ...base.limits, max_replies_per_hour: 1 } });
const traits = providerTraits(config.provider);

function setUp() {
  const db = openMemoryDatabase();
  const { id, secret } = sentRequest(db, config, 'abcdefghijklmnopqrst');
  const raw = (messageId: string, command = 'status') => Buffer.from(`From: Helen <${REQUESTER}>\r\nTo: sign+${secret}@corp.example\r\nSubject: Re: x\r\nMessage-ID: ${messageId}\r\n\r\n${command}\r\n`);
  return { db, id, raw };
}

describe('explain for a reply', () => {
  it('says a reply recorded already is done nothing with again', async () => {
    const { db, raw } = setUp();
    const bytes = raw('<status@corp.example>');
    expect(explainReply(db, config, await simpleParser(bytes), NOW)).toMatchObject({ reply: { command: 'status', allowed: true, answerTo: REQUESTER } });
    const handler = withReplyCommands({ db, config, policy: intakePolicyFrom(config), provider: traits, logger: silentLogger(), now: () => NOW }, async () => { throw new Error('taken for a request'); });
    await handler(watched(bytes));
    const explained = explainReply(db, config, await simpleParser(bytes), NOW)!;
    expect(explained.reason).toMatch(/^this reply was recorded already \(.+, queued: status of request .+\): the daemon does nothing again and does not answer again$/);
    expect(explained).toMatchObject({ reply: { answerTo: null, recorded: { outcome: 'queued', command: 'status' } } });
  });

  it('says when the answer would be held back by the hourly limit', async () => {
    const { db, id, raw } = setUp();
    queueAnswer(db, config, traits, getRequest(db, id)!, { reply: { subject: 'Re: x', messageId: '<earlier@corp.example>', references: [] }, to: REQUESTER, said: 'Done.', withHelp: false }, NOW);
    const explained = explainReply(db, config, await simpleParser(raw('<new@corp.example>')), NOW)!;
    expect(explained.reason).toContain(`(not carried out and not answered: 1 answers went to ${REQUESTER} within the hour, limits.max_replies_per_hour)`);
    expect(explained).toMatchObject({ reply: { answerTo: null, answerHeldBack: expect.stringContaining('limits.max_replies_per_hour') } });
  });

  it('past the limit a status is not carried out: no provider read, no work note, its row done unanswered — and explain says so', async () => {
    const { db, id, raw } = setUp();
    queueAnswer(db, config, traits, getRequest(db, id)!, { reply: { subject: 'Re: x', messageId: '<earlier@corp.example>', references: [] }, to: REQUESTER, said: 'Done.', withHelp: false }, NOW);
    const bytes = raw('<status-late@corp.example>');
    expect(explainReply(db, config, await simpleParser(bytes), NOW)).toMatchObject({ reply: { decision: expect.stringContaining('not carried out'), answerTo: null } });
    const handler = withReplyCommands({ db, config, policy: intakePolicyFrom(config), provider: traits, logger: silentLogger(), now: () => NOW }, async () => { throw new Error('taken for a request'); });
    await expect(handler(watched(bytes))).resolves.toEqual({ moveTo: 'Processed' });
    expect(jobsForRequest(db, id).filter((j) => j.kind !== 'mail')).toEqual([]); // no command job (the provider read), no record job
    expect(listReplyCommands(db, id)[0]).toMatchObject({ command: 'status', outcome: 'refused', answerTo: null, doneAt: expect.any(String) });
    expect(listReplyCommands(db, id)[0]!.reason).toContain('not carried out and not answered');
  });

  it('past the limit a cancel is still carried out and answered: explain names who gets the answer', async () => {
    const { db, id, raw } = setUp();
    queueAnswer(db, config, traits, getRequest(db, id)!, { reply: { subject: 'Re: x', messageId: '<earlier@corp.example>', references: [] }, to: REQUESTER, said: 'Done.', withHelp: false }, NOW);
    const explained = explainReply(db, config, await simpleParser(raw('<cancel@corp.example>', 'cancel wrong version')), NOW)!;
    expect(explained).toMatchObject({ reply: { command: 'cancel', decision: 'carried out and answered', answerTo: REQUESTER } });
    expect(explained.reply).not.toHaveProperty('answerHeldBack');
  });
});
