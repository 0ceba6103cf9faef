// A request in `sent` with its acknowledgement queued, on an in-memory database: what a reply
// test starts from (its id, the acknowledgement's reply secret and Message-ID).
import type { Config } from '../../src/config/schema.ts';
import { queueAcknowledgement } from '../../src/intake/queue-acknowledgement.ts';
import type { WatchedMessage } from '../../src/mail/watched-message.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { getAcknowledgement, noteReplyPolicy } from '../../src/store/conversation.ts';
import type { Db } from '../../src/store/open-database.ts';
import { insertRequest } from '../../src/store/requests.ts';

export const NOW = new Date('2026-11-03T10:00:00Z');
export const REQUESTER = 'helen.officer@corp.example';

export function sentRequest(db: Db, config: Config, token: string): { id: string; secret: string; ackId: string } {
  const id = insertRequest(db, {
    token, state: 'received', route: 'default', provider: providerTraits(config.provider).name, requester: REQUESTER,
    subject: 'Contract', messageId: `<req-${token}@corp.example>`, record: { number: 'RITM0010001' }, signers: [], dueDate: '2026-11-17', documents: [],
  }, NOW);
  db.prepare("UPDATE requests SET state = 'sent' WHERE id = ?").run(id);
  noteReplyPolicy(db, id, null);
  if (!queueAcknowledgement(db, config, providerTraits(config.provider), id, NOW)) throw new Error('no acknowledgement queued');
  const ack = getAcknowledgement(db, id)!;
  return { id, secret: ack.replySecret!, ackId: ack.messageId! };
}

/** A mail in the request mailbox as the watcher hands it over; `beforeOutline` runs during the fetch (a race). */
export function watched(raw: Buffer, uid = 1, beforeOutline?: () => void): WatchedMessage {
  return { mailbox: 'requests', folder: 'INBOX', place: '1', uid, size: raw.length, messageId: null,
    fetchSource: async () => raw, fetchHeaders: async () => raw, fetchOutline: async () => { beforeOutline?.(); return raw; },
    fetchInParts: async () => ({ outline: raw, downloadParts: async () => new Map() }) };
}
