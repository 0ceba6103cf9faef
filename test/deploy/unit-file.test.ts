// deploy/signrelay.service: systemd itself accepts it, and it has what docs/operations.md promises
// (notify + watchdog, a dedicated user, a private state dir, credentials, hardening).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SERVICE_ENVIRONMENT } from '../../src/native-memory.ts';
import { serviceSettings, unitEnvironment } from '../support/unit-environment.ts';

const UNIT = new URL('../../deploy/signrelay.service', import.meta.url).pathname;
const TEMPLATE = new URL('../../deploy/signrelay@.service', import.meta.url).pathname;

describe('deploy/signrelay.service', () => {
  it('passes systemd-analyze verify', async () => {
    const { stdout, stderr } = await promisify(execFile)('systemd-analyze', ['verify', UNIT]);
    expect(`${stdout}${stderr}`).toBe('');
  });

  it('runs `signrelay run` as a notify service with a watchdog, a dedicated user, its state dir and credentials', () => {
    const s = serviceSettings();
    expect(s.get('ExecStart')).toBe('/usr/bin/env signrelay run --config /etc/signrelay/signrelay.yaml');
    expect(Object.fromEntries(['Type', 'NotifyAccess', 'User', 'StateDirectory', 'StateDirectoryMode', 'Restart', 'UMask'].map((k) => [k, s.get(k)]))).toEqual({
      Type: 'notify', NotifyAccess: 'all', User: 'signrelay', StateDirectory: 'signrelay', StateDirectoryMode: '0700', Restart: 'on-failure', UMask: '0077',
    });
    expect(s.get('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    // A stop's SIGTERM to the daemon alone: it finishes the work in hand, its PDF workers with it.
    expect(s.get('KillMode')).toBe('mixed');
    expect(s.get('WatchdogSec')).toMatch(/^\d+(min|s)$/);
    expect(s.get('LoadCredential')).toBe('signrelay:/etc/signrelay/credentials');
  });

  it('sets the allocator as src/native-memory.ts says (jemalloc for the daemon, glibc\'s settings for its workers)', () => {
    expect(unitEnvironment(UNIT)).toEqual(SERVICE_ENVIRONMENT);
    expect(unitEnvironment(TEMPLATE)).toEqual({ ...SERVICE_ENVIRONMENT, SIGNRELAY_INSTANCE: '%i' });
  });

  it('is hardened: read-only system, no new privileges, private /tmp and devices, no capabilities', () => {
    const s = serviceSettings();
    for (const [key, value] of Object.entries({
      ProtectSystem: 'strict', NoNewPrivileges: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes', ProtectHome: 'yes',
      CapabilityBoundingSet: '', RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
    })) expect(s.get(key), key).toBe(value);
  });
});

describe('deploy/signrelay@.service (one signrelay per mailbox: signrelay@NAME)', () => {
  it('passes systemd-analyze verify, as the template and as an instance', async () => {
    const { stdout, stderr } = await promisify(execFile)('systemd-analyze', ['verify', TEMPLATE]);
    expect(`${stdout}${stderr}`).toBe('');
  });

  it('runs instance NAME from /etc/signrelay/NAME.yaml with its own state dir and credentials', () => {
    const s = serviceSettings(TEMPLATE);
    expect(s.get('ExecStart')).toBe('/usr/bin/env signrelay run --config /etc/signrelay/%i.yaml');
    // The daemon's messages name signrelay@NAME (serviceUnit) — for any name systemd takes, not only those `--name` accepts.
    expect(unitEnvironment(TEMPLATE).SIGNRELAY_INSTANCE).toBe('%i');
    expect(s.get('StateDirectory')).toBe('signrelay/%i');
    expect(s.get('LoadCredential')).toBe('signrelay:/etc/signrelay/credentials/%i');
  });

  it('has every other setting of signrelay.service, the hardening included', () => {
    const single = serviceSettings();
    const template = serviceSettings(TEMPLATE);
    const differs = ['ExecStart', 'StateDirectory', 'LoadCredential', 'Environment'];
    expect([...template.keys()].sort()).toEqual([...single.keys()].sort());
    for (const [key, value] of single) if (!differs.includes(key)) expect(template.get(key), key).toBe(value);
  });
});
