// Where the log goes by default: standard output — journald under the unit, a file or a
// terminal when signrelay is run some other way. An output that fails (the log file's disk
// full, journald gone) loses the lines written meanwhile; it must not end the daemon, as an
// unhandled stream error did (a crash loop with Node's stack trace, no mail handled). A file
// is written directly, so the lines come back once it takes them again; said on stderr,
// once when lines start to be dropped and once when they are written again.
import { fstatSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { isatty } from 'node:tty';

export interface OutputSink {
  /** Writes the line, or throws. */
  write(line: string): void;
  /** A note for whoever watches the process (stderr), best effort. */
  tell(note: string): void;
}

/** A stream that writes each line to `sink` and never fails: a line the sink refuses is dropped and counted. */
export function resilientOutput(sink: OutputSink): Writable {
  let dropped = 0;
  let cause = '';
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      try {
        sink.write(String(chunk));
        if (dropped > 0) {
          sink.tell(`signrelay: the log output is written again; ${dropped} line(s) were dropped while it could not be (${cause})\n`);
          dropped = 0;
        }
      } catch (err) {
        if (dropped === 0) {
          cause = String((err as { code?: unknown }).code ?? (err as Error).message);
          sink.tell(`signrelay: the log output cannot be written (${cause}): lines are dropped until it can — free space where it goes\n`);
        }
        dropped++;
      }
      done();
    },
  });
}

/**
 * Writes lines whole through `writeSome` (which takes what it can, returning how much, or
 * throws), in as many parts as it takes them. A line cut short by a failure is left open and
 * ended first when a line is written next, so that one starts a line of its own: a JSON line
 * cut short is one bad line, not two glued.
 */
export function lineWriter(writeSome: (buffer: Buffer, offset: number) => number): (line: string) => void {
  let open = false;
  const writeAll = (buffer: Buffer): number => {
    let offset = 0;
    try {
      while (offset < buffer.length) {
        const written = writeSome(buffer, offset);
        if (written <= 0) throw Object.assign(new Error('the output took nothing'), { code: 'EIO' });
        offset += written;
      }
    } catch (err) {
      throw Object.assign(err as Error, { written: offset });
    }
    return offset;
  };
  return (line) => {
    if (open) {
      writeAll(Buffer.from('\n'));
      open = false;
    }
    try {
      writeAll(Buffer.from(line));
    } catch (err) {
      if ((err as { written?: number }).written) open = true;
      throw err;
    }
  };
}

let pipeWatched = false;

/** Standard output for the log: a file (or a device such as /dev/null) written directly; a pipe, socket or terminal through process.stdout, its errors kept from ending the process. */
export function standardOutput(): NodeJS.WritableStream {
  const tell = (note: string) => {
    try {
      writeSync(2, note);
    } catch {
      // stderr failing too: nothing left to tell
    }
  };
  let direct = false;
  try {
    const stat = fstatSync(1);
    direct = stat.isFile() || (stat.isCharacterDevice() && !isatty(1));
  } catch {
    // no stdout at all: through process.stdout, which drops what it cannot write
  }
  if (direct) return resilientOutput({ write: lineWriter((buffer, offset) => writeSync(1, buffer, offset)), tell });
  // A pipe or socket that breaks (EPIPE: journald restarted) must not crash the daemon; it is
  // said once: the stream stays broken, and each line lost would have said it again.
  if (!pipeWatched) {
    pipeWatched = true;
    let told = false;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (!told) tell(`signrelay: the log output failed (${err.code ?? err.message}): lines are dropped from now on (a restart opens it again)\n`);
      told = true;
    });
  }
  return process.stdout;
}
