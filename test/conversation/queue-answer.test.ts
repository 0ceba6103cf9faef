// Answers to reply commands: threaded to the reply, marked automatic, the request's reply
// address as Reply-To; at most limits.max_replies_per_hour to one address within the hour.
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { configSchema } from '../../src/config/schema.ts';
import { noteReplyPolicy, settleAcknowledgement } from '../../src/store/conversation.ts';
import { queueAnswer } from '../../src/conversation/queue-answer.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { getRequest, insertRequest } from '../../src/store/requests.ts';

const NOW = new Date('2026-11-03T10:00:00Z');
const base = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
const config = configSchema.parse({ ...base, limits: { ...base.limits, max_replies_per_hour: 2 } });
const traits = providerTraits(config.provider);

describe('queueAnswer', () => {
  it('threads the answer to the reply and stops at the hourly limit for one address', () => {
    const db = openMemoryDatabase();
    const id = insertRequest(db, {
      token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: traits.name, requester: 'helen.officer@corp.example',
      subject: 'Contract', messageId: '<req@corp.example>', record: { number: 'RITM0010001' }, signers: [], dueDate: '2026-11-17', documents: [],
    }, NOW);
    const request = getRequest(db, id)!;
    noteReplyPolicy(db, id, null);
    settleAcknowledgement(db, id, { messageId: '<ack@corp.example>', replySecret: 's'.repeat(32) }, NOW);
    const reply = { subject: 'RE: Re: Sent for signature: Contract https://evil.example', messageId: '<reply@corp.example>', references: ['<ack@corp.example>', 'bad id\r\nBcc: x@evil.example'] };
    const answer = (to: string) => queueAnswer(db, config, traits, request, { reply, to, said: 'Done.', withHelp: false }, NOW);
    expect(answer('helen.officer@corp.example')).toMatch(/^<signrelay\.answer\.[0-9a-f]{16}@/);
    expect(answer('helen.officer@corp.example')).not.toBeNull();
    expect(answer('helen.officer@corp.example')).toBeNull();
    expect(answer('other@corp.example')).not.toBeNull();
    const message = jobsForRequest(db, id)[0]!.payload.message as Record<string, unknown>;
    expect(message).toMatchObject({
      to: 'helen.officer@corp.example', replyTo: `sign+${'s'.repeat(32)}@corp.example`, inReplyTo: '<reply@corp.example>',
      references: ['<ack@corp.example>', '<reply@corp.example>'], subject: 'Re: Sent for signature: Contract https[:]//evil.example',
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Signrelay': 'answer' },
    });
    expect(message.text).toContain('Done.\n\nRequest ');
  });
});
