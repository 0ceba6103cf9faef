// The acknowledgement is decided once per request, inside the `sent` transaction: a second
// call (a resumed send, a restart) queues nothing more; a request mail that was automatic, a
// route with acknowledge: false and the instance's own sender get none, each with its reason
// recorded; the hourly limit on rejection replies does not hold any back. On the real migrations, in memory.
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { configSchema, type Config } from '../../src/config/schema.ts';
import { queueAcknowledgement } from '../../src/intake/queue-acknowledgement.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { getAcknowledgement, noteReplyPolicy } from '../../src/store/conversation.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { openMemoryDatabase, type Db } from '../../src/store/open-database.ts';
import { insertRequest } from '../../src/store/requests.ts';

const NOW = new Date('2026-11-03T10:00:00Z');
const base = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
const config: Config = configSchema.parse({
  ...base,
  servicenow: { ...base.servicenow, senders: ['instance@service-now.com'], inbound_address: 'inbound@service-now.com' },
  routes: { ...base.routes, quiet: { acknowledge: false }, mailed: { delivery: 'email' } },
  limits: { ...base.limits, max_replies_per_hour: 2 },
});
const traits = providerTraits(config.provider);

let n = 0;
function request(db: Db, options: { requester?: string; route?: string; noReplyReason?: string | null; dueFrom?: 'mail' | 'route' } = {}): string {
  const id = insertRequest(db, {
    token: `${'a'.repeat(19)}${'bcdefghijklmnopqrstuvwxyz'[n++]}`, state: 'received', route: options.route ?? 'default', provider: traits.name,
    requester: options.requester ?? 'helen.officer@corp.example', subject: 'Contract for RITM0010001', messageId: `<req.${n}@corp.example>`,
    record: { number: 'RITM0010001', table: 'sc_req_item' }, signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' }], dueDate: '2026-11-17', documents: [],
    ...(options.dueFrom ? { dueFrom: options.dueFrom } : {}),
  }, NOW);
  noteReplyPolicy(db, id, options.noReplyReason ?? null);
  return id;
}

const acknowledgementJobs = (db: Db, id: string) => jobsForRequest(db, id).filter((j) => j.kind === 'mail' && j.payload.purpose === 'acknowledgement');

describe('queueAcknowledgement', () => {
  it('queues one acknowledgement, threaded, with its own secret reply address (never the token); a second call queues nothing', () => {
    const db = openMemoryDatabase();
    const id = request(db);
    expect(queueAcknowledgement(db, config, traits, id, NOW)).toBe(true);
    expect(queueAcknowledgement(db, config, traits, id, NOW)).toBe(false);
    const jobs = acknowledgementJobs(db, id);
    expect(jobs).toHaveLength(1);
    const message = jobs[0]!.payload.message as Record<string, unknown>;
    expect(message).toMatchObject({ to: 'helen.officer@corp.example', inReplyTo: `<req.${n}@corp.example>`, headers: { 'Auto-Submitted': 'auto-replied' } });
    const ack = getAcknowledgement(db, id)!;
    expect(ack.replySecret).toMatch(/^[a-z2-7]{32}$/);
    expect(message.replyTo).toBe(`sign+${ack.replySecret}@corp.example`);
    expect(ack.messageId).toBe(message.messageId);
  });

  it('says when the due date is the route\'s default, none having been given (signers review M2)', () => {
    const db = openMemoryDatabase();
    const dueLine = (id: string) => {
      queueAcknowledgement(db, config, traits, id, NOW);
      return String((acknowledgementJobs(db, id)[0]!.payload.message as { text: string }).text).split('\n').find((l) => l.trimStart().startsWith('Due:'))?.trim();
    };
    expect(dueLine(request(db, { dueFrom: 'route' }))).toBe('Due:        2026-11-17 (the route\'s default: none was given; signing closes at 23:59 UTC that day)');
    expect(dueLine(request(db, { dueFrom: 'mail' }))).toBe('Due:        2026-11-17 (signing closes at 23:59 UTC that day)');
  });

  it.each([
    ['an automatic request mail', { noReplyReason: 'machine-generated mail (Auto-Submitted: auto-generated)' }, 'the request mail is not answered automatically: machine-generated mail (Auto-Submitted: auto-generated)'],
    ['a route with acknowledge: false', { route: 'quiet' }, 'routes.quiet.acknowledge is false'],
    ['the instance\'s own sender', { requester: 'instance@service-now.com' }, 'instance@service-now.com is the ServiceNow instance (servicenow.senders or inbound_address)'],
    ['the instance\'s inbound address, a sender it is not', { requester: 'inbound@service-now.com' }, 'inbound@service-now.com is the ServiceNow instance (servicenow.senders or inbound_address)'],
  ])('none for %s, with the reason kept', (_, options, why) => {
    const db = openMemoryDatabase();
    const id = request(db, options);
    expect(queueAcknowledgement(db, config, traits, id, NOW)).toBe(false);
    expect(acknowledgementJobs(db, id)).toHaveLength(0);
    expect(getAcknowledgement(db, id)).toMatchObject({ messageId: null, skipped: why });
  });

  it('every request of a batch is acknowledged, past limits.max_replies_per_hour (rejection replies): each can be acted on by reply (conversation review M2)', () => {
    const db = openMemoryDatabase();
    const ids = Array.from({ length: config.limits.max_replies_per_hour + 4 }, () => request(db));
    expect(ids.map((id) => queueAcknowledgement(db, config, traits, id, NOW))).toEqual(ids.map(() => true));
    for (const id of ids) {
      expect(getAcknowledgement(db, id)).toMatchObject({ messageId: expect.stringMatching(/^<signrelay\.acknowledgement\./), replySecret: expect.any(String), skipped: null });
      expect(acknowledgementJobs(db, id)).toHaveLength(1);
    }
  });

  it('nothing for a request from before acknowledgements existed (no row)', () => {
    const db = openMemoryDatabase();
    const id = request(db);
    db.prepare('DELETE FROM acknowledgements WHERE request_id = ?').run(id);
    expect(queueAcknowledgement(db, config, traits, id, NOW)).toBe(false);
    expect(acknowledgementJobs(db, id)).toHaveLength(0);
  });

  it('promises a note on the record only where signrelay writes one (not with email delivery)', () => {
    const db = openMemoryDatabase();
    const text = (id: string) => {
      expect(queueAcknowledgement(db, config, traits, id, NOW)).toBe(true);
      return String((acknowledgementJobs(db, id)[0]!.payload.message as { text: string }).text);
    };
    expect(text(request(db))).toContain('the signers can no longer sign, the record gets a note');
    const mailed = text(request(db, { route: 'mailed', requester: 'other@corp.example' }));
    expect(mailed).toContain('withdraw the request: the signers can no longer sign');
    expect(mailed).not.toContain('note');
  });
});
