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
 * Writes all of `line` through `writeSome` (which takes what it can, returning how much, or
 * throws). When it fails part way, the part written is ended with a line break, so the next
 * line starts a line of its own: a JSON line cut short is one bad line, not two glued.
 */
export function writeWhole(line: string, writeSome: (buffer: Buffer, offset: number) => number): void {
  const buffer = Buffer.from(line);
  let offset = 0;
  try {
    while (offset < buffer.length) {
      const written = writeSome(buffer, offset);
      if (written <= 0) throw Object.assign(new Error('the output took nothing'), { code: 'EIO' });
      offset += written;
    }
  } catch (err) {
    if (offset > 0) {
      try {
        writeSome(Buffer.from('\n'), 0);
      } catch {
        // the next line glued to it: no better to be had
      }
    }
    throw err;
  }
}

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
  if (direct) return resilientOutput({ write: (line) => writeWhole(line, (buffer, offset) => writeSync(1, buffer, offset)), tell });
  // A pipe or socket that breaks (EPIPE: journald restarted) must not crash the daemon.
  if (process.stdout.listenerCount('error') === 0) process.stdout.on('error', (err: NodeJS.ErrnoException) => tell(`signrelay: the log output failed (${err.code ?? err.message}): lines are dropped\n`));
  return process.stdout;
}
