// The imported update set's inbound email actions, as the instance runs them on a mail it
// has filed on a record (apply-inbound-mail.ts): in order, each active action of the mail's
// type whose target table holds the record is tried — its `from` (a user name) and
// `required_roles` are checked against the sender, the user whose email is the mail's From
// address (none matched: the guest, who has no role), then its condition script is run; the
// first that passes runs its script (the shipped actions stop processing there; the
// simulator runs no second one). With no action that passes, the instance skips the mail:
// nothing is attached, nothing written.
import { runGlideScript } from './glide-sandbox.ts';
import { SimInstance, type SimRecord } from './instance.ts';
import { recordValuesOf } from './render-notification.ts';
import type { InboundActionDefinition } from './update-set.ts';

export interface InboundActionsContext {
  actions: readonly InboundActionDefinition[];
  scriptIncludes: ReadonlyMap<string, string>;
  /** The sys_user whose email is `address`, with its roles; undefined: the guest. */
  userByEmail(address: string): { user: string; roles: string[] } | undefined;
}

export interface InboundMailSeen {
  classification: string;
  from: string;
  subject: string;
  text: string;
}

/** What the action that ran wrote: the journal entries its script's current.update() made. */
export interface InboundActionRun {
  action: string;
  by: string;
  journal: Array<['work_notes' | 'comments', string]>;
}

/** Runs the first inbound action that takes the mail; `skipped` says why none did. */
export function runInboundActions(mail: InboundMailSeen, record: SimRecord, ctx: InboundActionsContext): { ran: InboundActionRun } | { skipped: string } {
  const sender = ctx.userByEmail(mail.from);
  const roles = sender?.roles ?? [];
  const includes = [...ctx.scriptIncludes.values()].join('\n');
  const input = { values: recordValuesOf(record), roles, email: { origemail: mail.from, subject: mail.subject, body_text: mail.text } };
  const tried: string[] = [];
  const candidates = ctx.actions
    .filter((a) => a.active && a.type === mail.classification && SimInstance.inTable(record, a.table))
    .sort((a, b) => a.order - b.order);
  for (const action of candidates) {
    if (action.from && action.from !== sender?.user) {
      tried.push(`"${action.name}": the sender is not ${action.from}`);
      continue;
    }
    if (action.requiredRoles.length > 0 && !action.requiredRoles.some((r) => roles.includes(r) || roles.includes('admin'))) {
      tried.push(`"${action.name}": the sender (${sender?.user ?? 'guest'}) has none of the roles ${action.requiredRoles.join(', ')}`);
      continue;
    }
    const condition = action.conditionScript.trim();
    if (condition && !(runGlideScript(`${includes}\nvar __holds = Boolean(${condition});`, input, '__holds') as boolean)) {
      tried.push(`"${action.name}": its condition is false`);
      continue;
    }
    const journal = runGlideScript(`${includes}\n${action.script}`, input, '__journal') as InboundActionRun['journal'];
    return { ran: { action: action.name, by: sender?.user ?? 'guest', journal } };
  }
  return { skipped: candidates.length === 0 ? `no active ${mail.classification} inbound action on ${record.sysClassName}` : `no inbound action took it (${tried.join('; ')})` };
}
