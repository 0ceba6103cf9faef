// Whether a request mail meets the optional authentication requirement
// (`intake.authentication`): every required method (dmarc, dkim, spf) must pass, as reported
// by the organisation's own border MTA. Pure: header values in, a verdict out.
//
// Trust: only Authentication-Results headers whose authserv-id is one of
// `trusted_authserv_ids` count; any other header — another id, or none (Microsoft 365
// writes none) — is ignored, since a sender can write whatever headers it likes. Per
// method, the topmost trusted header that reports it decides: the border MTA prepends its
// header, so a forged copy of its id (which the MTA should have removed, RFC 8601 §5) sits
// below the real one.
//
// Alignment with the From domain (a pass for some other domain says nothing about From),
// of dmarc's `header.from`, dkim's signing domain `header.d` (else the domain of
// `header.i`) and spf's `smtp.mailfrom`. "Aligned" is DMARC's relaxed alignment kept
// simple, without the Public Suffix List: the same domain, or one a subdomain of the other
// (a signature by corp.example counts for mail.corp.example; one by a sibling,
// hr.corp.example for it.corp.example, does not — stricter than DMARC, never looser).
import { parseAuthenticationResults, type AuthResult } from './authentication-results.ts';
import { AUTH_METHODS, type AuthMethod } from '../config/auth-methods.ts';

export { AUTH_METHODS, type AuthMethod };


export interface AuthenticationRequirement {
  /** Methods that must all pass; empty = no requirement. */
  require: readonly AuthMethod[];
  /** Lower-case authserv-ids of the organisation's border MTA(s). */
  trustedAuthservIds: readonly string[];
}

export interface MethodVerdict {
  method: AuthMethod;
  passed: boolean;
  /** What was found, e.g. `dkim=pass header.d=corp.example` or `no dmarc result`. */
  detail: string;
  /** When it passed: the domain it passed for (aligned with From's) and the authserv-id of the header that said so — what the audit trail keeps. */
  domain?: string;
  authservId?: string;
}

export interface AuthenticationVerdict {
  passed: boolean;
  methods: MethodVerdict[];
  /** authserv-ids of the headers that were not trusted ("(none)" for a header without one). */
  ignored: string[];
}

export function checkAuthentication(headerValues: readonly string[], fromDomain: string | null, requirement: AuthenticationRequirement): AuthenticationVerdict {
  const trusted: Array<{ authservId: string; results: AuthResult[] }> = [];
  const ignored: string[] = [];
  for (const value of headerValues) {
    const header = parseAuthenticationResults(value);
    if (!header) continue;
    if (header.authservId !== null && requirement.trustedAuthservIds.includes(header.authservId)) trusted.push({ authservId: header.authservId, results: header.results });
    else ignored.push(header.authservId ?? '(none)');
  }
  const methods = requirement.require.map((method): MethodVerdict => {
    const header = trusted.find((h) => h.results.some((x) => x.method === method));
    const results = header?.results.filter((x) => x.method === method);
    if (!header || !results) return { method, passed: false, detail: `no ${method} result from ${requirement.trustedAuthservIds.join(' or ')}` };
    const passes = results.filter((r) => r.result === 'pass');
    const aligned = passes.find((r) => fromDomain !== null && isAligned(domainOf(r), fromDomain));
    if (aligned) return { method, passed: true, detail: describe(aligned), domain: domainOf(aligned)!, authservId: header.authservId };
    return { method, passed: false, detail: passes[0] ? `${describe(passes[0])}, not aligned with the From domain` : describe(results[0]!) };
  });
  return { passed: methods.every((m) => m.passed), methods, ignored };
}

/** The sentence a rejection records: which methods failed and what the MTA said. */
export function describeFailure(verdict: AuthenticationVerdict, fromDomain: string | null): string {
  const failed = verdict.methods.filter((m) => !m.passed).map((m) => m.detail);
  // The headers are the sender's to write: a thousand forged ones must not make a thousand-line reason.
  const ids = [...new Set(verdict.ignored)].map(short);
  const listed = `${ids.slice(0, MAX_LISTED).join(', ')}${ids.length > MAX_LISTED ? ` and ${ids.length - MAX_LISTED} more` : ''}`;
  const ignored = ids.length > 0 ? ` (ignored Authentication-Results of untrusted authserv-id ${listed})` : '';
  return `${failed.join('; ')}; From domain ${fromDomain ?? '(none)'}${ignored}`;
}

const MAX_LISTED = 3;
const MAX_SHOWN_CHARS = 64;
const short = (text: string) => (text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text);

const DOMAIN_PROPERTY: Record<AuthMethod, string[]> = {
  dmarc: ['header.from'],
  dkim: ['header.d', 'header.i'],
  spf: ['smtp.mailfrom'],
};

function domainOf(result: AuthResult): string | null {
  for (const key of DOMAIN_PROPERTY[result.method as AuthMethod] ?? []) {
    const value = result.properties[key];
    if (value) return normaliseDomain(value.slice(value.lastIndexOf('@') + 1));
  }
  return null;
}

export function normaliseDomain(text: string): string {
  return text.trim().replace(/^<|>$/g, '').replace(/\.$/, '').toLowerCase();
}

/** Relaxed alignment without the Public Suffix List: equal, or one a subdomain of the other. */
export function isAligned(domain: string | null, fromDomain: string): boolean {
  // A bare top-level domain never aligns (no one gets a pass for `com`, but be sure).
  if (!domain || !domain.includes('.')) return false;
  const from = normaliseDomain(fromDomain);
  return domain === from || domain.endsWith(`.${from}`) || from.endsWith(`.${domain}`);
}

function describe(result: AuthResult): string {
  const key = DOMAIN_PROPERTY[result.method as AuthMethod]?.find((k) => result.properties[k]);
  return `${short(result.method)}=${short(result.result)}${key ? ` ${key}=${short(result.properties[key]!)}` : ''}`;
}
