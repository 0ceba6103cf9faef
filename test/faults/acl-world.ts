// A world whose Dovecot takes rights away from the request account with its ACL plugin (a
// shared or managed mailbox), optionally without MOVE, and whose daemon tries a refused mail
// again within a second: the fault tests of filing (imap-move-refused, imap-no-move-kept*).
import { appendFileSync } from 'node:fs';
import { buildMail, contractPdf, startWorld, type World } from '../integration/world.ts';
import { ACL_PLUGIN, capabilitiesWithout, writeAcl } from '../support/dovecot-config.ts';

export interface AclWorldOptions {
  /** The folder whose rights are taken: INBOX (delete, expunge) or Processed (insert). */
  folder: 'INBOX' | 'Processed';
  /** The owner's rights there (`lrswitkx`: all but expunge). */
  rights: string;
  withoutMove?: boolean;
}

/** The world, and the ACL file that holds the rights: removed, the account has them all again. */
export async function startAclWorld(options: AclWorldOptions): Promise<{ world: World; aclFile: string }> {
  const world = await startWorld();
  appendFileSync(`${world.dovecot.dir}/dovecot.conf`, `\n${options.withoutMove ? `${capabilitiesWithout('MOVE')}\n` : ''}${ACL_PLUGIN}\n`);
  await world.dovecot.restart();
  await world.dovecot.append('sign', 'Processed', 'Subject: seed\r\nMessage-ID: <seed@x>\r\n\r\nseed\r\n');
  const aclFile = `${world.dovecot.dir}/mail/sign/${options.folder === 'INBOX' ? '' : `.${options.folder}/`}dovecot-acl`;
  writeAcl(aclFile, options.rights);
  world.startDaemon({ messageRetry: { minDelayMs: 300, maxDelayMs: 1_000 } });
  return { world, aclFile };
}

/** A request for RITM0010001 with the contract, one signer, under `messageId`, delivered to the request address. */
export async function deliverRequest(world: World, messageId: string): Promise<void> {
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: 'Contract for RITM0010001', text: 'Signer: Ann Lee <ann.lee@example.com>', messageId,
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
}

/** The daemon's log lines so far, parsed. */
export const logEntries = (world: World) => world.logs.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** How many copies of `messageId` Processed holds. */
export const copiesIn = async (world: World, messageId: string) => (await world.dovecot.list('sign', 'Processed')).filter((m) => m.messageId === messageId).length;
