// A mail whose header block the parser will not read (past mailparser's 1 MB) — which any
// stranger can send, whatever the allow-list and the authentication asked for — is nobody's
// reply: the reply check hands it to the request handler, which files it as unreadable
// without an answer. It used to throw there: retried five times, then given up with an
// `unprocessable` operator alert per mail.
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { withReplyCommands } from '../../src/conversation/process-reply-mail.ts';
import { decideFromSource } from '../../src/intake/decide-request.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { silentLogger } from '../../src/log.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { NOW, REQUESTER, sentRequest, watched } from './sent-request.ts';

const config = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
const filler = Array.from({ length: 1_100 }, () => ` ${'x'.repeat(1_000)}`).join('\r\n');

describe('a header block the parser will not read', () => {
  for (const to of ['sign@corp.example', 'a reply to an acknowledgement'] as const) {
    it(`is handed to the request handler, not thrown (${to})`, async () => {
      const db = openMemoryDatabase();
      const { secret } = sentRequest(db, config, 'abcdefghijklmnopqrst');
      const address = to === 'sign@corp.example' ? to : `sign+${secret}@corp.example`;
      const raw = Buffer.from(`From: ${REQUESTER}\r\nTo: ${address}\r\nSubject: Re: x\r\nMessage-ID: <huge@evil.example>\r\nX-Filler:${filler}\r\n\r\nstatus\r\n`);
      const handed: number[] = [];
      const handler = withReplyCommands({ db, config, policy: intakePolicyFrom(config), provider: providerTraits(config.provider), logger: silentLogger(), now: () => NOW },
        async (message) => { handed.push(message.uid); return { moveTo: 'Rejected' }; });
      await expect(handler(watched(raw, 7))).resolves.toEqual({ moveTo: 'Rejected' });
      expect(handed).toEqual([7]);
      // …which refuses it as unreadable, answering nobody.
      const { decision } = await decideFromSource(raw, intakePolicyFrom(config), NOW);
      expect(decision).toMatchObject({ action: 'reject', reply: false, reason: expect.stringContaining('the mail could not be read') });
    });
  }
});
