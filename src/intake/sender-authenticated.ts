// Whether a request's sender is who the From says, when a route asks for proof: the
// Authentication-Results of the organisation's border MTA must show the required methods
// passing for the From domain (check-authentication.ts). Beside the allow-list
// (sender-allowed.ts): the allow-list says who may ask, this says it really is them.
import type { RouteConfig } from '../config/schema.ts';
import { checkAuthentication, describeFailure, type AuthenticationVerdict } from '../message/check-authentication.ts';
import { addressParts, rawHeaderValues, type MailHeaderLines } from '../message/mail-headers.ts';
import type { PassedMethod, RequestMail } from '../store/request-mail-event.ts';
import type { IntakePolicy } from './types.ts';

export interface SenderAuthentication {
  verdict: AuthenticationVerdict;
  /** The recorded reason of the rejection (which setting asked for what, and what the mail showed); null when it passed. */
  problem: string | null;
}

/** The verdict, or undefined when nothing is required (for this route, or for an unknown route: the global setting). */
export function authenticateSender(mail: MailHeaderLines, sender: string, policy: IntakePolicy, routeName: string, route?: RouteConfig): SenderAuthentication | undefined {
  const require = route?.require_authentication ?? policy.authentication.require;
  if (require.length === 0) return undefined;
  const fromDomain = addressParts(sender)?.domain.toLowerCase() ?? null;
  const verdict = checkAuthentication(rawHeaderValues(mail, 'authentication-results'), fromDomain, { ...policy.authentication, require });
  if (verdict.passed) return { verdict, problem: null };
  const setting = authenticationSetting(routeName, route);
  return {
    verdict,
    problem: `${sender} is not authenticated as ${setting} (${require.join(', ')}) requires: ${describeFailure(verdict, fromDomain)}; filed without a reply, since the From may be forged`,
  };
}

/** The setting that asks for authentication on this route: its own, else the global one. */
function authenticationSetting(routeName: string, route?: RouteConfig): string {
  return route?.require_authentication ? `routes.${routeName}.require_authentication` : 'intake.authentication.require';
}

/**
 * What the audit trail keeps of an accepted request's sender check (store/request-mail-event.ts):
 * each required method that passed, for which domain, as which authserv-id said — or that none
 * was required.
 */
export function requesterAuthentication(verdict: AuthenticationVerdict | undefined, routeName: string, route?: RouteConfig): Pick<RequestMail, 'authenticated' | 'required'> {
  if (!verdict) return { authenticated: 'not required' };
  const passed = verdict.methods.flatMap((m): PassedMethod[] => (m.passed && m.domain && m.authservId ? [{ method: m.method, domain: m.domain, authservId: m.authservId }] : []));
  return { authenticated: passed, required: authenticationSetting(routeName, route) };
}
