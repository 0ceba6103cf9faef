// Kills timed to the worst moment: the instant a simulator has carried out an external
// effect (an upload, a send, a token answer — each provider's own, see provider-side.ts —,
// a ServiceNow attachment or record update) and writes its answer — before the
// daemon can read that answer and record the result. What is left on disk is exactly "an
// intent without a result", which the daemon must resolve by asking the remote side.
//
// The simulators record every call in a plain array and set `status` on the recorded call
// as the response head is written. This wraps that array's push() so the status
// assignment runs a hook synchronously; no simulator code changes.

/**
 * The external effects a kill can be timed to. At the provider: `upload`, `send`, `token`
 * (Secured Signing: Document/Uploader, SmartTag/Send, the OAuth token answered 200 — a
 * refresh that rotates the refresh token; Signicat: POST …/documents and …/orders answered
 * 201, the client-credentials token answered 200). At ServiceNow: `attach`, and `note` —
 * any PATCH of a record, a work note or the status field —, and of those `signer-note`:
 * a signer's "signed, k of n" note alone.
 */
export type EffectKind = 'upload' | 'send' | 'token' | 'attach' | 'note' | 'signer-note';

export const EFFECT_KINDS: readonly EffectKind[] = ['upload', 'send', 'token', 'attach', 'note', 'signer-note'];

/** The marker a signer's note ends with (src/completion/update-record.ts, event `progress`). */
const SIGNER_NOTE = /, progress #\d+\)$/;

export interface ObservedCall {
  method: string;
  path: string;
  status: number;
  /** The parsed request body, when the simulator keeps it (SmartTag/Send does). */
  body?: unknown;
}

export interface EffectTap {
  /** Runs `action` synchronously when the next successful answer to `kind` is written. Returns a cancel function. */
  once(kind: EffectKind, action: (call: ObservedCall) => void): () => void;
  /** How many successful answers of each kind were seen. */
  counts(): Record<EffectKind, number>;
}

/** The effect a successful answer of the provider carries out (provider-side.ts: each provider's paths and statuses), or null. */
export type ProviderEffectOf = (call: ObservedCall, status: number) => EffectKind | null;

function servicenowEffectOf(call: ObservedCall, status: number): EffectKind | null {
  if (status === 201 && call.method === 'POST' && call.path.startsWith('/api/now/attachment/')) return 'attach';
  if (status === 200 && (call.method === 'PATCH' || call.method === 'PUT') && call.path.startsWith('/api/now/table/')) return 'note';
  return null;
}

/**
 * @param notesAt the work notes of the record a ServiceNow call's path names, oldest first
 *   (the simulator adds a note before it answers, and records the call's body only after):
 *   a note PATCH that added a signer's note is a `signer-note` too.
 */
export function tapEffects(provider: { calls: ObservedCall[]; effectOf: ProviderEffectOf }, servicenowCalls: ObservedCall[], notesAt: (path: string) => readonly string[] = () => []): EffectTap {
  const waiting: Array<{ kind: EffectKind; action: (call: ObservedCall) => void }> = [];
  const seen: Record<EffectKind, number> = { upload: 0, send: 0, token: 0, attach: 0, note: 0, 'signer-note': 0 };

  const fire = (kind: EffectKind, call: ObservedCall) => {
    seen[kind]++;
    const i = waiting.findIndex((w) => w.kind === kind);
    if (i < 0) return;
    const [entry] = waiting.splice(i, 1);
    entry!.action(call);
  };

  const instrument = (calls: ObservedCall[], effectOf: ProviderEffectOf, notes?: (path: string) => readonly string[]) => {
    const push = calls.push.bind(calls);
    calls.push = (...items: ObservedCall[]): number => {
      for (const call of items) {
        let status = call.status;
        const notesBefore = notes?.(call.path).length ?? 0;
        Object.defineProperty(call, 'status', {
          configurable: true,
          enumerable: true,
          get: () => status,
          set: (value: number) => {
            status = value;
            const kind = effectOf(call, value);
            if (kind) fire(kind, call);
            const added = kind === 'note' && notes ? notes(call.path).slice(notesBefore) : [];
            if (added.some((note) => SIGNER_NOTE.test(note))) fire('signer-note', call);
          },
        });
      }
      return push(...items);
    };
  };
  instrument(provider.calls, provider.effectOf);
  instrument(servicenowCalls, servicenowEffectOf, notesAt);

  return {
    once(kind, action) {
      const entry = { kind, action };
      waiting.push(entry);
      return () => {
        const i = waiting.indexOf(entry);
        if (i >= 0) waiting.splice(i, 1);
      };
    },
    counts: () => ({ ...seen }),
  };
}
