// Timestamps of what the simulators receive, taken in this process: each simulator records
// its calls in an array, with `at` when the request arrived, and sets `status` on a call as
// its answer head is written. A poll every 5 ms hands each answered call to `onAnswered`
// once, with the moment it was seen answered (at most ~5 ms late).
import type { RecordedHttpCall } from '../../src/sandbox/http-util.ts';

export function pollAnswers<C extends RecordedHttpCall>(calls: C[], onAnswered: (call: C, answeredAt: number) => void): () => void {
  let next = 0;
  let waiting: C[] = [];
  const timer = setInterval(() => {
    waiting.push(...calls.slice(next));
    next = calls.length;
    const now = Date.now();
    waiting = waiting.filter((call) => {
      if (call.status === 0) return true;
      onAnswered(call, now);
      return false;
    });
  }, 5);
  return () => clearInterval(timer);
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
