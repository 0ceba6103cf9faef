// How a simulator's secrets get into the configuration signrelay is given: fresh random
// secrets, and a writer that puts each as the caller wants it — a `${VAR}` (the demo), a
// `{file: …}` (the sandbox), or the main one as given and the rest in clear (the tests).
import { randomBytes } from 'node:crypto';

/**
 * How the configuration writes a secret: one string for the main secret (the others are
 * written as they are), or a function from the secret's name to how it is written.
 */
export type SecretRef = string | ((name: string) => string);

export const randomSecret = () => randomBytes(18).toString('base64url');

/** The writer of every secret in `secrets` (the main one first). */
export function secretWriter(ref: SecretRef, secrets: Record<string, string>): (name: string) => string {
  if (typeof ref === 'function') return ref;
  const main = Object.keys(secrets)[0];
  return (name) => (name === main ? ref : JSON.stringify(secrets[name] ?? ''));
}
