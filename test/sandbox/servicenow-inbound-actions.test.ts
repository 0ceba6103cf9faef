// With the shipped update set imported, the simulated instance files a reply on a record
// only through one of its inbound actions (inbound-actions.ts): an action that is inactive,
// whose condition is false, or whose required role the sender lacks takes nothing, and then
// the record is unchanged — no attachment, no journal entry. signrelay's genuine delivery
// (its From address, the user with signrelay_delivery) attaches the signed PDF once and
// writes the fixed work note, nothing of the mail's text.
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { describe, expect, it } from 'vitest';
import { applyInboundMail, DEFAULT_MAX_BODY_CHARS, DEFAULT_MAX_TOTAL_ATTACHMENT_BYTES } from '../../src/sandbox/servicenow/apply-inbound-mail.ts';
import { DEFAULT_FORWARD_PREFIXES, DEFAULT_REPLY_PREFIXES } from '../../src/sandbox/servicenow/classify-inbound.ts';
import type { InboundActionsContext } from '../../src/sandbox/servicenow/inbound-actions.ts';
import { SimInstance } from '../../src/sandbox/servicenow/instance.ts';
import { readUpdateSet, SHIPPED_UPDATE_SET, type InboundActionDefinition } from '../../src/sandbox/servicenow/update-set.ts';

const shipped = readUpdateSet(readFileSync(SHIPPED_UPDATE_SET, 'utf8'));
const USERS: Record<string, { email: string; roles: string[] }> = {
  'signrelay.delivery': { email: 'sign@corp.example', roles: ['signrelay_delivery'] },
  'mallory': { email: 'mallory@corp.example', roles: ['itil'] },
};
const LIMITS = { maxTotalAttachmentBytes: DEFAULT_MAX_TOTAL_ATTACHMENT_BYTES, maxBodyChars: DEFAULT_MAX_BODY_CHARS, maxAttachmentCount: 30 };
const LOOKUPS = { replyPrefixes: DEFAULT_REPLY_PREFIXES, forwardPrefixes: DEFAULT_FORWARD_PREFIXES, watermark: () => undefined, sentMail: () => undefined };

function actionsOf(change: (a: InboundActionDefinition) => InboundActionDefinition = (a) => a): InboundActionsContext {
  return {
    actions: shipped.inboundActions.map(change), scriptIncludes: shipped.scriptIncludes,
    userByEmail: (address) => {
      const found = Object.entries(USERS).find(([, u]) => u.email === address.toLowerCase());
      return found && { user: found[0], roles: found[1].roles };
    },
  };
}

async function reply(from: string, number: string) {
  const source = await new MailComposer({
    from, to: 'instance@service-now.com', subject: `re: ${number} signed`, text: 'Mallory says: click https://evil.example',
    attachments: [{ filename: 'agreement-signed.pdf', content: Buffer.from(`%PDF-1.7 signed ${number}`), contentType: 'application/pdf' }],
  }).compile().build();
  return simpleParser(source);
}

function world() {
  const instance = new SimInstance(() => 1_800_000_000_000);
  const record = instance.addRecord({ table: 'sn_hr_core_case', number: 'HRC0050001' });
  return { instance, record };
}

describe('the shipped inbound actions in the simulated instance', () => {
  it('take signrelay\'s delivery once: the signed PDF and a fixed work note, nothing of the mail', async () => {
    const { instance, record } = world();
    const mail = await reply('signrelay <sign@corp.example>', 'HRC0050001');
    const entry = applyInboundMail(mail, instance, LOOKUPS, LIMITS, actionsOf());
    expect(entry).toMatchObject({ classification: 'reply', action: 'signrelay: signed document (sn_hr_core_case)', attached: ['agreement-signed.pdf'] });
    expect(record.journal.map((j) => [j.field, j.value, j.by])).toEqual([['work_notes', 'Signed document received from signrelay.', 'signrelay.delivery']]);
    expect(applyInboundMail(mail, instance, LOOKUPS, LIMITS, actionsOf()).skipped).toEqual(['agreement-signed.pdf']);
    expect(record.attachments).toHaveLength(1);
  });

  it.each([
    ['a stranger\'s "re: NUMBER signed" mail', 'Mallory <mallory@corp.example>', (a: InboundActionDefinition) => a, /has none of the roles signrelay_delivery/],
    ['an unknown sender (the guest)', 'Eve <eve@evil.example>', (a: InboundActionDefinition) => a, /\(guest\) has none of the roles/],
    ['signrelay\'s mail, the action inactive', 'sign@corp.example', (a: InboundActionDefinition) => ({ ...a, active: false }), /no active reply inbound action on sn_hr_core_case/],
    ['signrelay\'s mail, the condition false', 'sign@corp.example', (a: InboundActionDefinition) => ({ ...a, conditionScript: `${a.conditionScript} && email.subject.indexOf('never') > -1` }), /its condition is false/],
    ['a stranger with the role, the condition checking the address', 'Mallory <mallory@corp.example>', (a: InboundActionDefinition) => ({ ...a, requiredRoles: [] }), /its condition is false/],
  ])('leave the record unchanged for %s', async (_what, from, change, why) => {
    const { instance, record } = world();
    const entry = applyInboundMail(await reply(from, 'HRC0050001'), instance, LOOKUPS, LIMITS, actionsOf(change));
    expect(entry.classification).toBe('reply');
    expect(entry.discarded).toMatch(why);
    expect(entry.attached).toEqual([]);
    expect(record.attachments).toEqual([]);
    expect(record.journal).toEqual([]);
  });

  it('without an imported update set, the default action still attaches and comments (the other worlds)', async () => {
    const { instance, record } = world();
    const entry = applyInboundMail(await reply('Helen <helen@corp.example>', 'HRC0050001'), instance, LOOKUPS, LIMITS);
    expect(entry.attached).toEqual(['agreement-signed.pdf']);
    expect(record.journal.map((j) => j.field)).toEqual(['comments']);
  });
});
