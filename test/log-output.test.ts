// The log's output failing — a log file's disk full (here /dev/full, which refuses every
// write with ENOSPC), journald gone — drops lines and says so once on stderr; it never ends
// the daemon, as an unhandled stream error did (exit 1, Node's stack trace, a crash loop).
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineWriter, resilientOutput } from '../src/log-output.ts';
import { bareEnv, minimalConfigYaml, STACK_FRAME } from './cli/helpers.ts';
import { waitFor } from './support/wait-for.ts';

describe('resilientOutput', () => {
  it('drops what the sink refuses, says so once, and how many when it takes lines again', async () => {
    const written: string[] = [];
    const told: string[] = [];
    let full = true;
    const out = resilientOutput({
      write: (line) => {
        if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        written.push(line);
      },
      tell: (note) => told.push(note),
    });
    const write = (line: string) => new Promise<void>((resolve, reject) => out.write(line, (err) => (err ? reject(err) : resolve())));
    for (const line of ['a\n', 'b\n', 'c\n']) await write(line);
    full = false;
    await write('d\n');
    await write('e\n');
    expect(written).toEqual(['d\n', 'e\n']);
    expect(told).toEqual([
      'signrelay: the log output cannot be written (ENOSPC): lines are dropped until it can — free space where it goes\n',
      'signrelay: the log output is written again; 3 line(s) were dropped while it could not be (ENOSPC)\n',
    ]);
  });
});

describe('lineWriter', () => {
  it('writes a line in as many parts as the output takes, and ends one cut short before the next, once the output takes it', () => {
    const out: string[] = [];
    // Takes four bytes at a time; nothing at all while `full`, after `room` more bytes.
    let room = Number.POSITIVE_INFINITY;
    const write = lineWriter((buffer, offset) => {
      if (room === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const taken = Math.min(4, room, buffer.length - offset);
      out.push(buffer.subarray(offset, offset + taken).toString());
      room -= taken;
      return taken;
    });
    write('{"a":1}\n');
    room = 4;
    expect(() => write('{"b":2}\n')).toThrow('ENOSPC'); // '{"b"' written, the disk then full
    expect(() => write('{"c":3}\n')).toThrow('ENOSPC'); // nothing: not even the line break
    room = Number.POSITIVE_INFINITY;
    write('{"d":4}\n');
    expect(out.join('').split('\n')).toEqual(['{"a":1}', '{"b"', '{"d":4}', '']);
    expect(() => lineWriter(() => 0)('x')).toThrow('the output took nothing');
  });
});

/** The daemon's row in service_status, read as `signrelay status` does; undefined before there is one. */
function daemonState(dataDir: string): string | undefined {
  try {
    const db = new Database(join(dataDir, 'signrelay.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT state FROM service_status WHERE component = 'daemon'").get() as { state: string } | undefined)?.state;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

/** Whether the process has a handler for the signal (SigCgt in /proc/PID/status). */
function catches(pid: number, signal: NodeJS.Signals): boolean {
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return mask !== undefined && (BigInt(`0x${mask}`) >> BigInt(osConstants.signals[signal] - 1)) % 2n === 1n;
}

describe('signrelay run with its log on a full disk', () => {
  it('keeps running, says once that lines are dropped, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-full-'));
    const config = join(dir, 'signrelay.yaml');
    writeFileSync(config, minimalConfigYaml('routes: {default: {allowed_senders: ["*@corp.example"]}}\nlog: {format: json}', join(dir, 'data')));
    const full = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [join(import.meta.dirname, '../src/cli.ts'), 'run', '--config', config], { env: bareEnv(), stdio: ['ignore', full, 'pipe'] });
    closeSync(full);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    try {
      await waitFor(() => stderr.includes('signrelay: the log output cannot be written (ENOSPC)'), { what: 'the note on stderr', timeoutMs: 60_000 });
      // Running, as its status row says (its log cannot), and its signals handled (`run` takes
      // SIGTERM from its start on: one that comes before the daemon runs stops it once it does).
      await waitFor(() => daemonState(join(dir, 'data')) === 'running' && catches(child.pid!, 'SIGTERM'), { what: 'the daemon running, its signals handled', timeoutMs: 60_000 });
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(stderr.match(/cannot be written/g)).toHaveLength(1);
  });
});
