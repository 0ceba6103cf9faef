// The allocator settings (src/native-memory.ts): a PDF worker's environment loses jemalloc
// and nothing else the operator preloads; the daemon says when the jemalloc its unit
// preloads is not there.
import { describe, expect, it } from 'vitest';
import { jemallocMissing, JEMALLOC, MALLOC_SETTINGS, workerEnvironment } from '../src/native-memory.ts';

const MAPPED = '7f1c2a000000-7f1c2a0a2000 r-xp 00000000 08:01 1234  /usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n';
const GLIBC_ONLY = '7f1c2b000000-7f1c2b1a2000 r-xp 00000000 08:01 4321  /usr/lib/x86_64-linux-gnu/libc.so.6\n';

describe('a PDF worker\'s environment', () => {
  it('drops jemalloc from LD_PRELOAD, by soname or by path, and keeps every other preload', () => {
    expect(workerEnvironment({ LD_PRELOAD: JEMALLOC, PATH: '/bin' })).toEqual({ ...MALLOC_SETTINGS, PATH: '/bin' });
    expect(workerEnvironment({ LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' }).LD_PRELOAD).toBeUndefined();
    expect(workerEnvironment({ LD_PRELOAD: `/opt/audit.so ${JEMALLOC}:libfaketime.so.1` }).LD_PRELOAD).toBe('/opt/audit.so libfaketime.so.1');
    // A library whose name only contains "jemalloc" somewhere else is not jemalloc.
    expect(workerEnvironment({ LD_PRELOAD: '/opt/libjemalloc.so.2/shim.so' }).LD_PRELOAD).toBe('/opt/libjemalloc.so.2/shim.so');
  });

  it('sets glibc\'s settings the environment does not name, and leaves those it names', () => {
    expect(workerEnvironment({})).toEqual(MALLOC_SETTINGS);
    expect(workerEnvironment({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX).toBe('4');
  });
});

describe('jemalloc named but not loaded', () => {
  it('is said with the package to install and the setting to remove', () => {
    const said = jemallocMissing({ LD_PRELOAD: JEMALLOC }, GLIBC_ONLY);
    expect(said).toContain('apt-get install libjemalloc2');
    expect(said).toContain(`remove LD_PRELOAD=${JEMALLOC} from the unit's Environment=`);
  });

  it('is quiet when it is loaded, or when nobody asked for it', () => {
    expect(jemallocMissing({ LD_PRELOAD: JEMALLOC }, GLIBC_ONLY + MAPPED)).toBeUndefined();
    expect(jemallocMissing({}, GLIBC_ONLY)).toBeUndefined();
    expect(jemallocMissing({ LD_PRELOAD: '/opt/audit.so' }, GLIBC_ONLY)).toBeUndefined();
  });
});
