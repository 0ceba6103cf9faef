// Timestamps of what the simulators receive, taken in this process: each simulator records
// its calls in an array and sets `status` on a call as its answer head is written; the
// push() of that array is wrapped so that setting a status runs `onAnswer` at once. The
// call's `at` is when its request arrived; the answer's moment is Date.now() in the hook.
import type { RecordedHttpCall } from '../../src/sandbox/http-util.ts';

export function onAnswer<C extends RecordedHttpCall>(calls: C[], hook: (call: C, status: number) => void): void {
  const push = calls.push.bind(calls);
  calls.push = (...items: C[]): number => {
    for (const call of items) {
      let status = call.status;
      Object.defineProperty(call, 'status', {
        configurable: true,
        enumerable: true,
        get: () => status,
        set: (value: number) => {
          status = value;
          hook(call, value);
        },
      });
    }
    return push(...items);
  };
}

/** What the bench reads off the simulators, by record number and by document. */
export interface Observed {
  /** SmartTag/Send answered 200: when it arrived, per record (from PackageName "RITM… (signrelay r_…)"). */
  sends: Map<string, { at: number; references: string[] }>;
  /** Document/Uploader: when it arrived, per uploaded file name (contract--signrelay-TOKEN.pdf). */
  uploads: Map<string, number>;
  /** Download/GetDocumentData: when the first one arrived, per document reference. */
  downloads: Map<string, number>;
  /** Attachment created (201) at ServiceNow: when the answer was written, per record. */
  attachments: Map<string, number>;
  /** Completion mails handed to Dovecot: when delivered, per recipient address (returns+TOKEN@…). */
  completionsDelivered: Map<string, number>;
  /** Replies the daemon mailed to the requester (a refused request), by subject. */
  repliesToRequester: string[];
  /** Answers >= 400 at either simulator: "POST /web/v1.4/SmartTag/Send 400 …". */
  failures: string[];
}

export function emptyObserved(): Observed {
  return { sends: new Map(), uploads: new Map(), downloads: new Map(), attachments: new Map(), completionsDelivered: new Map(), repliesToRequester: [], failures: [] };
}
