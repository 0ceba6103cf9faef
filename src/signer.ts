// A signer as the request language names one: `First Last <email>`. Shared by the intake
// parser, the route defaults and the `stamp` command, so all three read names alike.

export interface Signer {
  firstName: string;
  lastName: string;
  email: string;
}

const ADDRESS_RE = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]+$/;

export function isEmailAddress(text: string): boolean {
  return ADDRESS_RE.test(text);
}

/**
 * Parses `First Last <email>`, `"Last, First" <email>` or a bare `email`.
 * The last word of the name is the last name; a bare address gives empty names, which
 * the caller may fill from the address's local part. Returns an error string otherwise.
 */
export function parseSigner(text: string): Signer | { error: string } {
  const trimmed = text.trim();
  const angle = /^(.*?)<([^<>]+)>\s*$/.exec(trimmed);
  const name = (angle ? angle[1]! : '').trim().replace(/^"(.*)"$/, '$1').trim();
  const email = (angle ? angle[2]! : trimmed).trim();
  if (!isEmailAddress(email)) {
    return { error: `"${trimmed}" has no valid email address (write it as First Last <first.last@example.com>)` };
  }
  if (name === '') return { firstName: '', lastName: '', email };
  const comma = /^([^,]+),\s*(.+)$/.exec(name);
  if (comma) return { firstName: comma[2]!.trim(), lastName: comma[1]!.trim(), email };
  const words = name.split(/\s+/);
  if (words.length === 1) return { firstName: words[0]!, lastName: '', email };
  return { firstName: words.slice(0, -1).join(' '), lastName: words.at(-1)!, email };
}

export function formatSigner(signer: Signer): string {
  const name = [signer.firstName, signer.lastName].filter(Boolean).join(' ');
  return name ? `${name} <${signer.email}>` : signer.email;
}
