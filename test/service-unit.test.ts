import { describe, expect, it } from 'vitest';
import { serviceUnit } from '../src/service-unit.ts';

describe('serviceUnit', () => {
  it('is signrelay@NAME for an instance (--name NAME), signrelay otherwise', () => {
    expect(serviceUnit({ SIGNRELAY_INSTANCE: 'hr' })).toBe('signrelay@hr');
    expect(serviceUnit({})).toBe('signrelay');
  });
});
