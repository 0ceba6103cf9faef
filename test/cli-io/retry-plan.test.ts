// `signrelay retry` of a request failed from `delivered`: the mail that delivered it bounced
// (intake/process-bounce.ts). It resumes at `completed`, whose `complete` job mails the signed
// document again — there is no job that works from `delivered`.
import { expect, it } from 'vitest';
import { retryPlan } from '../../src/cli-io/retry-plan.ts';

it('a request failed from delivered (its delivery mail bounced) goes back to completed, its complete job queued', () => {
  const events = [
    { id: 1, at: '', requestId: 'r_1', kind: 'transition' as const, fromState: 'completed' as const, toState: 'delivered' as const },
    { id: 2, at: '', requestId: 'r_1', kind: 'transition' as const, fromState: 'delivered' as const, toState: 'failed' as const },
  ];
  expect(retryPlan({ id: 'r_1', state: 'failed' }, events)).toEqual({ ok: true, backTo: 'completed', job: 'complete', payload: { attachments: [], source: 'retry' } });
});
