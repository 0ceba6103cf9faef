// A GETQUOTAROOT the server never answers (a quota backend that hangs: dict/SQL, a dirsize count
// over a slow filesystem; diff review 26 L2). The pass commands queue behind it and the liveness
// probe waits for it, so the read has its own deadline: past it the connection is ended as a
// failed probe would, the mail that arrived meanwhile is taken on the next one, and the quota is
// not read again at that connect (the next interval reads it).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { quotaPlugin } from '../support/dovecot-config.ts';
import { nextEvent, waitFor } from '../support/wait-for.ts';
import { stopAllWatchers, testMail, watch } from './watcher-harness.ts';

const PASSWORD = 'hang-pass-5120';
let dovecot: DovecotHandle;
let proxy: Server;
const sockets = new Set<Socket>();
let quotaCommands = 0;

beforeAll(async () => {
  dovecot = await startDovecot({ users: { u: PASSWORD }, extraConfig: quotaPlugin('1M') });
  // Passes everything but GETQUOTAROOT, which this "server" never answers.
  proxy = createServer((down) => {
    const up = connect(dovecot.imapPort, '127.0.0.1');
    sockets.add(down).add(up);
    let pending = '';
    up.on('data', (d) => down.write(d));
    down.on('data', (d) => {
      pending += d.toString('latin1');
      let at: number;
      while ((at = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, at + 2);
        pending = pending.slice(at + 2);
        if (/^\S+ GETQUOTAROOT /i.test(line)) quotaCommands++;
        else up.write(Buffer.from(line, 'latin1'));
      }
    });
    const close = () => { down.destroy(); up.destroy(); };
    up.on('close', close).on('error', close);
    down.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
});
afterEach(stopAllWatchers);
afterAll(async () => {
  for (const s of sockets) s.destroy();
  proxy?.close();
  await dovecot?.stop();
});

it('an unanswered quota read ends the connection at its deadline, and the mail behind it is taken on the next', async () => {
  const port = (proxy.address() as { port: number }).port;
  const harness = watch(dovecot, 'u', PASSWORD, {
    account: { host: '127.0.0.1', port, tls: false, tls_verify: true, user: 'u', password: PASSWORD },
    quotaTimeoutMs: 3_000,
  });
  await nextEvent((fn) => harness.watcher.on('connected', fn), { what: 'connected' });
  await waitFor(() => quotaCommands === 1, { what: 'the quota read sent (and swallowed)' });
  await dovecot.deliver('u@corp.example', testMail('behind-quota'));
  await waitFor(() => harness.calls.some((c) => c.messageId === '<behind-quota@test.example>'), { what: 'the mail handed over', timeoutMs: 20_000 });
  expect(harness.log.entries.filter((e) => e.message === 'imap quota read timed out')).toEqual([
    expect.objectContaining({ level: 'warn', error: expect.stringContaining('did not answer GETQUOTAROOT') }),
  ]);
  expect(harness.watcher.status().reconnects).toBe(1);
  // Not read again at the reconnect: a read that never comes back must not stall every connection.
  expect(quotaCommands).toBe(1);
}, 60_000);
