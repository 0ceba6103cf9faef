// A remote service's own words, made safe to show: any known secret it echoes (API secret,
// password, token) replaced, and the text cut short. Shared by every HTTP client. Pure.
import { maskSecrets as maskKnownSecrets } from '../log.ts';

const MAX_SERVER_MESSAGE = 300;

export function maskSecrets(text: string, secrets: string[]): string {
  // The logger's masking: also base64 forms (basic auth) and any Basic/Bearer credential.
  const out = maskKnownSecrets(text, secrets);
  return out.length > MAX_SERVER_MESSAGE ? `${out.slice(0, MAX_SERVER_MESSAGE)}…` : out;
}
