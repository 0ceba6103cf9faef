// A service's error answer is quoted in signrelay's own error — a job's last error, a
// request's reason, an alert, the log — bounded, whoever answers at the service's address
// and however long it makes the answer (where it is shown, its characters are made harmless:
// test/security/terminal-escapes.test.ts).
import { describe, expect, it } from 'vitest';
import { serverMessage } from '../../src/providers/secured-signing/classify-error.ts';
import { problemWords } from '../../src/providers/signicat/classify-error.ts';
import { serviceNowMessage } from '../../src/servicenow/classify-error.ts';

const HUGE = `${'A'.repeat(200_000)}\nSigned by CEO`;

describe('an error answer of every service', () => {
  it('is quoted in at most 500 characters a field', () => {
    const quoted = [
      serverMessage(JSON.stringify({ ResponseStatus: { ErrorCode: HUGE, Message: HUGE } })).message!,
      serverMessage(JSON.stringify({ ResponseStatus: { ErrorCode: HUGE } })).errorCode!,
      serviceNowMessage(JSON.stringify({ error: { message: HUGE, detail: HUGE }, status: 'failure' })).detail!,
      problemWords(JSON.stringify({ detail: HUGE, violations: [{ propertyPath: HUGE, message: HUGE }] })),
    ];
    for (const text of quoted) expect(text.length).toBeLessThan(1_600); // problemWords joins a detail and a violation's path and message
    expect(serviceNowMessage(JSON.stringify({ error: { message: 'Not found', detail: 'Record doesn\'t exist' } }))).toEqual({ message: 'Not found', detail: 'Record doesn\'t exist' });
  });
});
