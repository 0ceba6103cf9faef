// intake.authentication in the configuration: a requirement with no trusted authserv-id
// could never pass, so it is refused at start, naming the setting; the policy the parser
// gets compares authserv-ids without regard to case.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseConfigText } from '../../src/config/load-config.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';

const EXAMPLE = readFileSync('config/signrelay.example.yaml', 'utf8');
type Settings = Record<string, Record<string, unknown>>;
/** The example configuration with some settings changed. */
const configText = (change: (settings: Settings) => void) => {
  const settings = parseYaml(EXAMPLE) as Settings;
  change(settings);
  return stringifyYaml(settings);
};
const authentication = (value: unknown) => (s: Settings) => { s.intake = { authentication: value }; };
const parse = (text: string) => parseConfigText(text, 'test.yaml', { env: {}, requireSecrets: false });

const problemOf = (text: string): string => {
  try {
    parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('intake.authentication settings', () => {
  it('default to no requirement', () => {
    expect(parse(EXAMPLE).intake).toEqual({ authentication: { require: [], trusted_authserv_ids: [] } });
  });

  it.each([
    ['globally', authentication({ require: ['dmarc'] })],
    ['for one route', (s: Settings) => { s.routes!.hr = { require_authentication: ['dkim'] }; }],
  ])('refuse a requirement %s without a trusted authserv-id', (_name, change) => {
    expect(problemOf(configText(change))).toMatch(/intake\.authentication\.trusted_authserv_ids: name the authserv-id your border MTA writes in Authentication-Results \(e\.g\. mx\.corp\.example\)/);
  });

  it('refuse an unknown method, by its path', () => {
    expect(problemOf(configText(authentication({ require: ['dmarc', 'arc'], trusted_authserv_ids: ['mx.corp.example'] }))))
      .toMatch(/intake\.authentication\.require\.1: expected dmarc, dkim or spf/);
  });

  it('reach the intake policy with authserv-ids in lower case', () => {
    const config = parse(configText(authentication({ require: ['dmarc', 'spf'], trusted_authserv_ids: ['MX.Corp.Example'] })));
    expect(intakePolicyFrom(config).authentication).toEqual({ require: ['dmarc', 'spf'], trustedAuthservIds: ['mx.corp.example'] });
  });
});
