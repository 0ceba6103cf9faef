import { describe, expect, it } from 'vitest';
import { operatorCommand, serviceUnit } from '../src/service-unit.ts';

describe('serviceUnit', () => {
  it('is signrelay@NAME for an instance (--name NAME), signrelay otherwise', () => {
    expect(serviceUnit({ SIGNRELAY_INSTANCE: 'hr' })).toBe('signrelay@hr');
    expect(serviceUnit({})).toBe('signrelay');
  });
});

describe('operatorCommand', () => {
  it('names the instance as its operator must (instances review M1: hints without --name acted on another configuration)', () => {
    expect(operatorCommand('retry r_1', { SIGNRELAY_INSTANCE: 'legal' })).toBe('signrelay retry r_1 --name legal');
    expect(operatorCommand('retry r_1', {})).toBe('signrelay retry r_1');
  });
});
