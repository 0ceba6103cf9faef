// Runs the update set's own server-side JavaScript — mail scripts, UI action conditions and
// script includes, inbound action conditions and scripts — in the simulated instance, with
// the few Glide calls they use (glide-prelude.ts). node:vm is NOT a security boundary: the
// simulator runs only the packaged update set (deploy/servicenow/, or a test's copy of it),
// never a script from a mail or a record. Still, a script must not reach the host by
// accident or by a record's value: the context is a fresh global built from JSON alone (no
// host object or function is passed in, so no `constructor` chain leads out of it), code
// generation from strings is off, and promise jobs run inside the timeout
// (microtaskMode 'afterEvaluate'), so a microtask loop is stopped like a busy loop.
import { types } from 'node:util';
import { constants, createContext, Script } from 'node:vm';
import { GLIDE_PRELUDE } from './glide-prelude.ts';

export const SCRIPT_TIMEOUT_MS = 1_000;

export class GlideScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GlideScriptError';
  }
}

/**
 * An error's message, read without running any of the script's code: what it threw may be
 * its own object, whose getter or proxy trap would run outside the timeout.
 */
function messageOf(err: unknown): string {
  if (!types.isNativeError(err) || types.isProxy(err)) return 'it threw something that is not an Error';
  const message = Object.getOwnPropertyDescriptor(err, 'message');
  return message && 'value' in message && typeof message.value === 'string' ? message.value : 'an Error without a plain message';
}

/**
 * Runs `source` after the Glide prelude, with `__input` = `input` (JSON) in the context, and
 * returns `collect` (an expression evaluated last, in the context) as JSON-parsed data.
 */
export function runGlideScript(source: string, input: unknown, collect: string): unknown {
  const context = createContext(constants.DONT_CONTEXTIFY, {
    name: 'servicenow-script', codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate',
  });
  // The input travels as the text of a string literal, parsed inside the context: nothing
  // from the host realm is ever a value there.
  const program = `var __input = JSON.parse(${JSON.stringify(JSON.stringify(input))});\n${GLIDE_PRELUDE}\n${source}\n;JSON.stringify(${collect});`;
  let out: unknown;
  try {
    out = new Script(program, { filename: 'servicenow-script.js' }).runInContext(context, { timeout: SCRIPT_TIMEOUT_MS });
  } catch (err) {
    throw new GlideScriptError(`the script failed: ${messageOf(err)}`);
  }
  if (typeof out !== 'string') throw new GlideScriptError('the script left no result');
  return JSON.parse(out) as unknown;
}
