// The subject of Signicat's order-created notice, as gateways and forwarding deliver it: a
// lost send's notice that is not recognised goes to Unmatched, and a cancel made meanwhile
// cannot withdraw the order it names.
import { describe, expect, it } from 'vitest';
import { signicatTraits } from '../../src/providers/signicat/traits.ts';

const { isProgressNotice } = signicatTraits();

describe('Signicat\'s order-created notice', () => {
  it.each([
    'Signing order 9f1c2d3e-aa00-4b1c-9d2e-7f6a5b4c3d2e created',
    '[EXTERNAL] Signing order 9f1c2d3e-aa00-4b1c-9d2e-7f6a5b4c3d2e created',
    'Fw: Signing order ord_7Hk2mQ created',
    'EXT: signing order ord_7Hk2mQ created.',
  ])('is recognised: %s', (subject) => {
    expect(isProgressNotice(subject)).toBe(true);
  });

  it.each([
    'Signing order ord_7Hk2mQ completed',
    'Your signing order ord_7Hk2mQ created a problem: call us',
    'Re: the Signing order ord_7Hk2mQ created yesterday',
  ])('is not: %s', (subject) => {
    expect(isProgressNotice(subject)).toBe(false);
  });
});

describe('Signicat\'s task-ended notice', () => {
  const { isTaskEndNotice } = signicatTraits();
  it.each(['Signing order ord_7Hk2mQ: a task ended', '[EXTERNAL] Signing order ord_7Hk2mQ: a task ended.'])('is recognised: %s', (subject) => {
    expect(isTaskEndNotice(subject)).toBe(true);
  });
  it.each(['Signing order ord_7Hk2mQ created', 'Signing order ord_7Hk2mQ completed', 'Re: Signing order ord_7Hk2mQ: a task ended yesterday'])('is not: %s', (subject) => {
    expect(isTaskEndNotice(subject)).toBe(false);
  });
});
