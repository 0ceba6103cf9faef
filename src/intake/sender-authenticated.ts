// Whether a request's sender is who the From says, when a route asks for proof: the
// Authentication-Results of the organisation's border MTA must show the required methods
// passing for the From domain (check-authentication.ts). Beside the allow-list
// (sender-allowed.ts): the allow-list says who may ask, this says it really is them.
import type { RouteConfig } from '../config/schema.ts';
import { checkAuthentication, describeFailure, type AuthenticationVerdict } from '../message/check-authentication.ts';
import { addressParts, rawHeaderValues, type MailHeaderLines } from '../message/mail-headers.ts';
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
  const setting = route?.require_authentication ? `routes.${routeName}.require_authentication` : 'intake.authentication.require';
  return {
    verdict,
    problem: `${sender} is not authenticated as ${setting} (${require.join(', ')}) requires: ${describeFailure(verdict, fromDomain)}; filed without a reply, since the From may be forged`,
  };
}
