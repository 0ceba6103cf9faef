// The slice of the configuration the request parser needs, and the addresses signrelay
// itself sends from (mail from those is never treated as a request).
import { addressOfFrom, asciiAddress, mailboxKey } from '../ascii-address.ts';
import { bareAddress } from '../message/mail-headers.ts';
import type { Config } from '../config/schema.ts';
import { isSenderAllowed } from '../message/sender-allowed.ts';
import { providerTraits } from '../providers/provider-traits.ts';
import type { IntakePolicy } from './types.ts';

export function intakePolicyFrom(config: Config): IntakePolicy {
  const fromAddress = addressOfFrom(config.smtp.from);
  const instanceSenders = config.servicenow.senders ?? (config.servicenow.inbound_address ? [config.servicenow.inbound_address] : []);
  return {
    requestAddress: config.mailboxes.requests.address,
    ownAddresses: [fromAddress.trim().toLowerCase(), config.mailboxes.returns.address.toLowerCase()],
    routes: config.routes,
    records: config.records,
    textTags: providerTraits(config.provider).capabilities.textTags !== false,
    instanceSenders,
    instanceAddresses: [...new Set([...instanceSenders, ...(config.servicenow.inbound_address ? [config.servicenow.inbound_address] : [])])],
    delivery: config.servicenow.delivery,
    limits: config.limits,
    authentication: {
      require: config.intake.authentication.require,
      trustedAuthservIds: config.intake.authentication.trusted_authserv_ids.map((id) => id.toLowerCase()),
    },
  };
}

/** Whether `address` is one of the instance's notification senders (IntakePolicy.instanceSenders): only their mail may carry a watermark. */
export function isInstanceSender(policy: Pick<IntakePolicy, 'instanceSenders'>, address: string): boolean {
  // isSenderAllowed lets anyone in on an empty list: no senders configured means none is the instance.
  return policy.instanceSenders.length > 0 && isSenderAllowed(address, policy.instanceSenders);
}

/**
 * Whether `address` delivers to one of the ServiceNow instance's mailboxes
 * (IntakePolicy.instanceAddresses): what keeps mail from it — no rejection or answer mailed
 * there, no invitation, no acknowledgement. Compared by mailbox (mailboxKey): a mail server
 * that delivers `box+tag@` to `box@` gave `instance+desk@…` a rejection quoting a stranger's
 * subject, or made it a signer (variants review M1). Whose mail may carry a watermark stays
 * an exact match (isInstanceSender): guards widen, trust does not.
 */
export function isInstanceAddress(policy: Pick<IntakePolicy, 'instanceAddresses'>, address: string): boolean {
  if (policy.instanceAddresses.length === 0) return false;
  if (isSenderAllowed(address, policy.instanceAddresses)) return true;
  const ascii = asciiAddress(bareAddress(address));
  if (ascii === null) return false;
  const mailbox = mailboxKey(ascii);
  return policy.instanceAddresses.some((pattern) => {
    const exact = pattern.trim().startsWith('*@') ? null : asciiAddress(pattern.trim().toLowerCase());
    return exact !== null && mailboxKey(exact) === mailbox;
  });
}
