// The demo's steps for what the signing provider mailed for a request before anyone signed
// (Signicat: the first signer's invitation, and its notice that the order exists, mailed
// to the request's return address): each mail as the provider tells it, and a mail to
// signrelay followed through the mail world and the daemon — delivered into the return
// folder, taken by the completion watcher (what it made of it), moved. Secured Signing
// mails nothing then, so its demo has none of these steps.
import { RETURNS_MAILBOX } from '../completion/process-completion-mail.ts';
import { findMessageById } from '../store/messages.ts';
import type { RequestRow } from '../store/requests.ts';
import type { DemoSources, Fact, FactMaker } from './demo-facts.ts';
import type { ProviderMail } from './provider-story.ts';
import type { SimulatedRequest } from './simulated-request.ts';

export interface ProviderMailFacts {
  facts: Array<Promise<Fact>>;
  /** A mail the provider owes the request is still being sent (its time is earlier than what it will be seen after). */
  mailing: boolean;
  /** What is awaited of a mail to signrelay not filed yet, or null. */
  unfiled: string | null;
  /** Why the demo cannot go on (a mail to signrelay lost or not matched), or null. */
  failure: string | null;
}

export function providerMailFacts(sources: DemoSources, request: RequestRow, simulated: SimulatedRequest, fact: FactMaker): ProviderMailFacts {
  const { signing, world, daemon } = sources;
  const seen: ProviderMailFacts = { facts: [], mailing: signing.story.mailing(simulated), unfiled: null, failure: null };
  const told = (key: string, at: number, headline: string) => seen.facts.push(fact(key, () => ({ key, at, headline, details: [] })));
  const sentTo = new Map<string, number>();
  signing.story.mails(simulated).forEach((mail, i) => {
    const key = `provider-mail-${i}`;
    told(key, mail.at, mail.told);
    if (!mail.toSignrelay) return;
    // The n-th mail to an address is its n-th delivery: the mail world files them in order.
    const nth = sentTo.get(mail.to) ?? 0;
    sentTo.set(mail.to, nth + 1);
    if (!mail.messageId) {
      seen.failure ??= `${signing.displayName}'s ${mail.noun} to ${mail.to} was not delivered`;
      return;
    }
    const delivery = world.deliveries.filter((d) => d.to === mail.to)[nth];
    if (delivery) told(`${key}-delivered`, delivery.at.getTime(), `${mail.noun} delivered to ${delivery.to} (IMAP ${delivery.folder}, UID ${delivery.uid})`);
    const filed = findMessageById(daemon.db, RETURNS_MAILBOX, mail.messageId);
    if (filed) {
      if (filed.outcome !== 'completion' && filed.outcome !== 'notice') seen.failure ??= `${signing.displayName}'s ${mail.noun} was filed as "${filed.outcome}" in ${filed.folder}: ${filed.reason}`;
      else told(`${key}-filed`, Date.parse(filed.seenAt), takenBy(mail, filed, request, sources));
    }
    const moved = sources.moves.find((m) => m.watcher === 'returns' && m.messageId === mail.messageId);
    if (moved) told(`${key}-moved`, moved.at, `${mail.noun} moved to ${moved.folder}`);
    else seen.unfiled ??= `the daemon's completion watcher to take ${signing.displayName}'s ${mail.noun} to ${mail.to}`;
  });
  return seen;
}

function takenBy(mail: ProviderMail, filed: { outcome: string; reason: string }, request: RequestRow, { signing }: DemoSources): string {
  if (filed.outcome === 'notice') {
    return `${mail.noun} taken by the completion watcher (${filed.reason}): kept for the order id it names, nothing to ask ${signing.displayName} yet`;
  }
  return `${mail.noun} taken by the completion watcher (${filed.reason}): request ${request.id}'s complete job asks ${signing.displayName} whether everyone has signed`;
}
