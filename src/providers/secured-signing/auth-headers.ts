// The API-signature headers every Secured Signing request carries (SECURED-SIGNING.md
// "Authentication"). Pure: the clock and the nonce come in as arguments so the exact
// bytes can be checked against a known answer; a fresh set is built for every request
// (and every retry), because the service refuses a nonce it has seen before.
import { createHmac, randomBytes } from 'node:crypto';

export interface SignatureInput {
  apiKey: string;
  apiSecret: string;
  /** The domain / callback URL registered with the API key. */
  referer: string;
  /** Milliseconds since the epoch; sent as whole seconds. */
  now: number;
  /** At most 32 characters; a random one when absent. */
  nonce?: string;
}

export const MAX_NONCE_LENGTH = 32;

/** 32 hex characters from 16 random bytes: unique per request, within the service's limit. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** base64(HMAC-SHA256(key = API secret, message = apiKey "\n" date "\n" nonce)). */
export function computeSignature(apiKey: string, apiSecret: string, date: string, nonce: string): string {
  return createHmac('sha256', apiSecret).update(`${apiKey}\n${date}\n${nonce}`).digest('base64');
}

export function signatureHeaders(input: SignatureInput): Record<string, string> {
  const nonce = input.nonce ?? newNonce();
  if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) {
    throw new RangeError(`a Secured Signing nonce must be 1-${MAX_NONCE_LENGTH} characters, got ${nonce.length}`);
  }
  // Whole seconds, the documented form. (The .NET SDK formats TotalSeconds and so may send
  // "1700000000.123"; the simulator refuses that on purpose, to keep us on the safe side.)
  const date = String(Math.floor(input.now / 1000));
  return {
    'X-CUSTOM-API-KEY': input.apiKey,
    'X-CUSTOM-DATE': date,
    'X-CUSTOM-NONCE': nonce,
    'X-CUSTOM-SIGNATURE': computeSignature(input.apiKey, input.apiSecret, date, nonce),
    Referer: input.referer,
  };
}
