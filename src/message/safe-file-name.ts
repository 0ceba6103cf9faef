// File names from mail attachments, made safe to store, log and send on: a requester's
// client (or an attacker) chooses them. Basename only, no control or bidi-override
// characters (U+202E turns "cod.exe" around), no characters Windows forbids, Unicode
// letters kept, at most MAX_FILE_NAME_CHARS, unique within one request.

export const MAX_FILE_NAME_CHARS = 120;
const FALLBACK_STEM = 'document';

/** A readable, harmless version of any attachment name, for messages. */
export function cleanFileName(name: string | undefined): string {
  return trimEnds(cleanCharacters(name));
}

/** The name a PDF document is stored and uploaded under: cleaned, ending in `.pdf`. */
export function safePdfFileName(name: string | undefined): string {
  const stem = trimEnds(cleanCharacters(name).trim().replace(/\.pdf$/i, ''));
  return `${truncate(stem || FALLBACK_STEM, MAX_FILE_NAME_CHARS - 4)}.pdf`;
}

function cleanCharacters(name: string | undefined): string {
  const base = (name ?? '').normalize('NFC').split(/[\\/]/).at(-1) ?? '';
  return base
    // Controls and direction marks go; joiners (U+200C/D) stay, Persian and emoji need them.
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\s+/g, ' ');
}

/** Leading dots would hide the file; trailing dots and spaces Windows drops. */
function trimEnds(name: string): string {
  return name.replace(/^[\s.]+|[\s.]+$/g, '');
}

/** Makes names unique (case-insensitively) with " (2)", " (3)"… before the extension. */
export function uniqueFileNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const ext = dot > 0 ? name.slice(dot) : '';
    let candidate = name;
    for (let n = 2; taken.has(candidate.toLowerCase()); n++) {
      const suffix = ` (${n})`;
      candidate = `${truncate(stem, MAX_FILE_NAME_CHARS - ext.length - suffix.length)}${suffix}${ext}`;
    }
    taken.add(candidate.toLowerCase());
    return candidate;
  });
}

/** Cuts at a code-point boundary so no surrogate pair is split. */
function truncate(text: string, maxChars: number): string {
  const chars = [...text];
  return chars.length <= maxChars ? text : chars.slice(0, maxChars).join('').trimEnd();
}
