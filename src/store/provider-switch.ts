// A request is carried to its end by the provider it went to (requests.provider): its
// completion mail comes from that provider's senders, reconcile and cancel ask that provider
// about its document or order, and a PDF is stamped with that provider's tags. A daemon whose
// configuration names another provider has no client for it, so such a request would be stuck
// for good (its completion Unmatched, every reconcile asking the wrong service). A start — and
// a reload — is refused while any is open. Reads only.
import type { Db } from './open-database.ts';
import { operatorCommand } from '../service-unit.ts';
import { AT_WORK } from './request-states.ts';

/** The open requests of providers other than `provider`, counted by provider. */
function openRequestsOfOtherProviders(db: Db, provider: string): Array<{ provider: string; count: number }> {
  return db.prepare(`SELECT provider, count(*) AS count FROM requests WHERE provider <> ? AND state IN (${AT_WORK.map(() => '?').join(', ')})
    GROUP BY provider ORDER BY provider`).all(provider, ...AT_WORK) as Array<{ provider: string; count: number }>;
}

/** Why a signrelay with `provider` may not `act` on `request`, one that went to another provider (`act`: "retry it"), or null. */
export function otherProvidersRequest(request: { id: string; provider: string }, provider: string, act: string): string | null {
  if (request.provider === provider) return null;
  return `request ${request.id} went to ${request.provider}, and this signrelay's provider is ${provider}: only a signrelay with ${request.provider} can ${act}`;
}

/** Why this data dir cannot run with `provider` now, or null when it can. */
export function providerSwitchProblem(db: Db, provider: string): string | null {
  const others = openRequestsOfOtherProviders(db, provider);
  if (others.length === 0) return null;
  const open = others.map((o) => `${o.count} with ${o.provider}`).join(' and ');
  return `provider is ${provider}, but requests are still open ${open} (not yet sent, out for signing, or signed and not yet delivered), and only their own provider can finish them: ` +
    `keep the provider this data directory has until they are finished or cancelled (${operatorCommand('requests')}; ${operatorCommand('cancel ID')}), or run a second signrelay with its own storage.data_dir and request address for ${provider}`;
}
