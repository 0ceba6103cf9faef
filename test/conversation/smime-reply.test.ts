// A reply that is S/MIME opaque-signed or encrypted (application/pkcs7-mime, smime.p7m): its
// first line — the command — is inside the package, which signrelay does not open. The answer
// says so, not "no command on the first line" to a writer whose first line is one. A
// clear-signed reply (multipart/signed) is read as any other.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { decideReply } from '../../src/conversation/decide-reply.ts';
import { findRepliedRequest } from '../../src/conversation/process-reply-mail.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { NOW, REQUESTER, sentRequest } from './sent-request.ts';

const config = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });

async function decide(entity: string) {
  const db = openMemoryDatabase();
  const { secret } = sentRequest(db, config, 'abcdefghijklmnopqrst');
  const raw = `From: ${REQUESTER}\r\nTo: sign+${secret}@corp.example\r\nSubject: Re: Contract\r\nMessage-ID: <smime-reply@corp.example>\r\nMIME-Version: 1.0\r\n${entity}`;
  const mail = await simpleParser(raw);
  return decideReply(mail as never, findRepliedRequest(db, mail, config.mailboxes.requests.address)!, intakePolicyFrom(config), providerTraits(config.provider), NOW);
}

const PACKAGE = Buffer.from('0\x82 opaque PKCS #7 bytes').toString('base64');
const package_ = (smimeType: string) => `Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"\r\nContent-Disposition: attachment; filename="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n${PACKAGE}\r\n`;

describe('an S/MIME reply', () => {
  it.each([['opaque-signed', 'signed-data'], ['encrypted', 'enveloped-data']])('%s: answered that it is S/MIME and must be sent without, nothing changed', async (_what, smimeType) => {
    const decision = await decide(package_(smimeType));
    expect(decision).toMatchObject({ action: 'answer' });
    expect(decision.answer).toContain('signrelay cannot read your reply: your reply is S/MIME signed or encrypted (smime.p7m)');
    expect(decision.answer).toContain('send it again without signing or encrypting it');
    expect(decision.answer).not.toContain('found no command');
  });

  it('clear-signed (multipart/signed, a detached smime.p7s): its command is read', async () => {
    const signed = 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="s"\r\n\r\n--s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nstatus\r\n'
      + `--s\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Disposition: attachment; filename="smime.p7s"\r\nContent-Transfer-Encoding: base64\r\n\r\n${PACKAGE}\r\n--s--\r\n`;
    expect(await decide(signed)).toMatchObject({ action: 'carry-out', command: { name: 'status' } });
  });
});
