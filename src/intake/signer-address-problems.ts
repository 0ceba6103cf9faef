// Addresses no signer may have, whoever names them (the mail, the route, a prepared PDF's own
// tags): signrelay's own — an invitation there comes back to it as mail, never to a person —
// and the ServiceNow instance's, whose inbound actions would file the invitation, and later
// the signed document the provider mails every signer, on a record (isInstanceAddress).
import { sameMailbox } from '../message/mail-headers.ts';
import { isInstanceAddress } from './intake-policy.ts';
import type { IntakePolicy } from './types.ts';

/** The request address and the addresses signrelay sends from. */
export function ownAddressesOf(policy: Pick<IntakePolicy, 'requestAddress' | 'ownAddresses'>): string[] {
  return [policy.requestAddress, ...policy.ownAddresses];
}

/** One problem per signer address that is signrelay's own or the instance's, in the order given. */
export function signerAddressProblems(emails: readonly string[], policy: Pick<IntakePolicy, 'requestAddress' | 'ownAddresses' | 'instanceAddresses'>): string[] {
  return emails.flatMap((email) => {
    if (ownAddressesOf(policy).some((own) => sameMailbox(email, own))) return [`${email} is signrelay's own address, not a signer's: name the person who signs`];
    if (isInstanceAddress(policy, email)) return [`${email} is the ServiceNow instance's address, not a signer's (it files what it is sent on a record): name the person who signs`];
    return [];
  });
}
