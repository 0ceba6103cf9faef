import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH } from '../src/config/config-path.ts';
import { instanceOf } from '../src/config/instance.ts';
import { operatorCommand, reloadCommand, serviceUnit, shellWord } from '../src/service-unit.ts';

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

  // newcomer review L4: a daemon started with --config FILE told its operator commands that read the default configuration.
  it.each([
    ['no configuration named: the default', {}, 'signrelay retry r_1'],
    ['the default named', { SIGNRELAY_CONFIG: DEFAULT_CONFIG_PATH }, 'signrelay retry r_1'],
    ['another file', { SIGNRELAY_CONFIG: '/tmp/x/signrelay.yaml' }, 'signrelay retry r_1 --config /tmp/x/signrelay.yaml'],
    ['a path the shell would split', { SIGNRELAY_CONFIG: "/home/ann/my dir/it's.yaml" }, `signrelay retry r_1 --config '/home/ann/my dir/it'\\''s.yaml'`],
    ['an instance on its own file: --name alone', { SIGNRELAY_INSTANCE: 'hr', SIGNRELAY_CONFIG: (instanceOf('hr') as { configPath: string }).configPath }, 'signrelay retry r_1 --name hr'],
    ['an instance given another file: both', { SIGNRELAY_INSTANCE: 'hr', SIGNRELAY_CONFIG: '/srv/hr.yaml' }, 'signrelay retry r_1 --name hr --config /srv/hr.yaml'],
  ] as const)('%s', (_, env, command) => {
    expect(operatorCommand('retry r_1', env)).toBe(command);
  });
});

describe('shellWord', () => {
  it.each([
    ['/etc/signrelay/hr.yaml', '/etc/signrelay/hr.yaml'],
    ['/tmp/a b.yaml', "'/tmp/a b.yaml'"],
    ["/tmp/it's", `'/tmp/it'\\''s'`],
    ['/tmp/$HOME;rm', "'/tmp/$HOME;rm'"],
    ['', "''"],
  ])('%j → %s', (word, quoted) => {
    expect(shellWord(word)).toBe(quoted);
  });
});

describe('reloadCommand', () => {
  it('is systemctl reload of the unit under systemd, kill -HUP of the process otherwise (a daemon run by hand is no unit)', () => {
    expect(reloadCommand({ INVOCATION_ID: 'abc', SIGNRELAY_INSTANCE: 'hr' }, '/var/lib/signrelay-hr')).toBe('systemctl reload signrelay@hr');
    expect(reloadCommand({ NOTIFY_SOCKET: '/run/systemd/notify' }, '/var/lib/signrelay')).toBe('systemctl reload signrelay');
    // By hand: the pid file, not a pid an alert read later may find on another process (diff review 23 L4).
    expect(reloadCommand({}, '/tmp/sandbox/data/')).toBe('kill -HUP "$(cat /tmp/sandbox/data/signrelay.pid)"');
    expect(reloadCommand({}, "/tmp/Sam's data")).toBe(`kill -HUP "$(cat '/tmp/Sam'\\''s data/signrelay.pid')"`);
  });
});
