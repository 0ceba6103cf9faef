// The slice of the configuration the request parser needs, and the addresses signrelay
// itself sends from (mail from those is never treated as a request).
import { addressOfFrom } from '../ascii-address.ts';
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

/** Whether `address` is one of the ServiceNow instance's (IntakePolicy.instanceAddresses). */
export function isInstanceAddress(policy: Pick<IntakePolicy, 'instanceAddresses'>, address: string): boolean {
  return policy.instanceAddresses.length > 0 && isSenderAllowed(address, policy.instanceAddresses);
}
