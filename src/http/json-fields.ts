// Reading a service's error body without trusting it: the JSON object, if the text is one,
// and a field as trimmed non-empty text, if it is one. Pure; shared by the error
// classifiers of both services.
import { cut } from '../outside-text.ts';

export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function textField(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The longest a service's error word is quoted (a code, a message, a violation). */
const MAX_ERROR_TEXT_CHARS = 500;

/**
 * A field of an error answer as it is quoted in signrelay's own error — bounded: it goes into
 * a job's last error, a request's reason, an alert and the log, and a service (or whatever
 * answers at its address) chooses how long it is. Its characters stay as they came: where it
 * is shown, the terminal, the log and a record's note each make them harmless their own way.
 */
export function errorText(value: unknown): string | undefined {
  const text = textField(value);
  return text === undefined ? undefined : cut(text, MAX_ERROR_TEXT_CHARS);
}
