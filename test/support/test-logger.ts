// A winston logger for tests that keeps every entry as an object, so a test can assert on
// what was logged (and that a secret never was) without writing to the console.
import { Writable } from 'node:stream';
import winston from 'winston';

export interface LogEntry {
  level: string;
  message: string;
  [field: string]: unknown;
}

export interface TestLogger {
  logger: winston.Logger;
  entries: LogEntry[];
  /** Everything logged, as one JSON text (for "never contains" checks). */
  text(): string;
}

export function createTestLogger(level: 'debug' | 'info' | 'warn' = 'debug'): TestLogger {
  const entries: LogEntry[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim()) entries.push(JSON.parse(line) as LogEntry);
      }
      callback();
    },
  });
  const logger = winston.createLogger({
    level,
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  return { logger, entries, text: () => entries.map((entry) => JSON.stringify(entry)).join('\n') };
}
