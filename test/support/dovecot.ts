// A real Dovecot (IMAP + LMTP) per test file, from a config written into a fresh temp dir
// (see shared/docs/MAIL-TESTING.md). Dovecot cannot bind port 0 and report it, so free
// loopback ports are picked first (again when another process took one before Dovecot bound
// it) and kept across restart(). Mail is delivered over LMTP;
// folders are inspected and manipulated with doveadm, which works while IMAP is down too.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, renameSync, utimesSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { gidOf, oauth2PassdbArgs, renderDovecotConfig, uidOf, type DovecotOauth2Input } from './dovecot-config.ts';
import { freePorts, PortTakenError, readFileOr, run, spawnDovecot, terminate } from './dovecot-process.ts';
import { waitFor } from './wait-for.ts';

const DOVEADM = 'doveadm';

export interface StoredMessage {
  uid: number;
  size: number;
  flags: string[];
  raw: string;
  /** Lower-case header name → first value (unfolded). */
  headers: Record<string, string>;
  messageId: string | null;
  subject: string | null;
}

export interface DovecotHandle {
  host: string;
  imapPort: number;
  lmtpPort: number;
  dir: string;
  /** Delivers over LMTP; `user+tag@domain` lands in `user`'s INBOX. A bare name gets @localhost. */
  deliver(rcpt: string, raw: string | Buffer, from?: string): Promise<void>;
  append(user: string, folder: string, raw: string | Buffer): Promise<void>;
  list(user: string, folder: string): Promise<StoredMessage[]>;
  folders(user: string): Promise<string[]>;
  uidValidity(user: string, folder: string): Promise<string>;
  /** Gives a folder (made if missing) this UIDVALIDITY: another folder's, say, as a server may. */
  setUidValidity(user: string, folder: string, value: string): Promise<void>;
  /** Deletes and re-creates the folder (INBOX: expunges it and sets a new UIDVALIDITY). */
  recreateMailbox(user: string, folder: string): Promise<{ before: string; after: string }>;
  /** Changes a user's password; Dovecot re-reads its passwd-file on the next login. */
  /**
   * Sets a user's password; resolves once Dovecot takes it. Its passwd-file is looked at again
   * at most once a second, so a login in the second of the last lookup met the old password.
   */
  setPassword(user: string, password: string): Promise<void>;
  /** SIGTERM (drops every IMAP session), wait for exit, start again on the same ports and mail. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Dovecot's own log so far. */
  log(): string;
}

export interface DovecotOptions {
  /** Password users: name → password. */
  users: Record<string, string>;
  extraConfig?: string;
  /** XOAUTH2 for these users (they must be in `users` too, for their mail): user → how its tokens are checked. */
  oauth2?: Record<string, DovecotOauth2Input>;
}

export async function startDovecot(options: DovecotOptions): Promise<DovecotHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'signrelay-dovecot-'));
  chmodSync(dir, 0o755);
  const mailDir = join(dir, 'mail');
  mkdirSync(mailDir);
  const conf = join(dir, 'dovecot.conf');
  const greeting = `signrelay test Dovecot ${randomUUID()} ready.`;
  const users = { ...options.users };
  // Dovecot reloads a passwd-file when its mtime (whole seconds) or size changed — not its
  // inode: a new password of the same length written within the same second as the last
  // version would go unseen. So every version gets an mtime a second past the one before.
  let usersMtime = 0;
  const writeUsers = () => {
    writeFileSync(join(dir, 'users.new'), Object.entries(users).map(([name, password]) => `${name}:{PLAIN}${password}::::::\n`).join(''));
    usersMtime = Math.max(Math.floor(Date.now() / 1000), usersMtime + 1);
    utimesSync(join(dir, 'users.new'), usersMtime, usersMtime);
    renameSync(join(dir, 'users.new'), join(dir, 'users'));
  };
  writeUsers();
  const oauth2Users = Object.keys(options.oauth2 ?? {});
  const argsFile = (user: string) => join(dir, `oauth2-${user}.conf.ext`);
  for (const user of oauth2Users) writeFileSync(argsFile(user), oauth2PassdbArgs(options.oauth2![user]!));
  if (process.getuid?.() === 0) chownSync(mailDir, uidOf('nobody'), gidOf('nogroup'));

  // Ports picked free can be taken before Dovecot binds them (PortTakenError): pick again.
  let imapPort = 0;
  let lmtpPort = 0;
  let started: ChildProcess | undefined;
  for (let attempt = 1; !started; attempt++) {
    [imapPort, lmtpPort] = (await freePorts(2)) as [number, number];
    writeFileSync(conf, renderDovecotConfig({
      dir, mailDir, imapPort, lmtpPort, greeting, extra: options.extraConfig ?? '',
      ...(oauth2Users.length > 0 ? { oauth2: { users: oauth2Users, argsFile } } : {}),
    }));
    try {
      started = await spawnDovecot(conf, dir, imapPort, greeting);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt === 3) throw err;
    }
  }
  let child = started;
  const doveadm = (args: string[], input?: string | Buffer) => run(DOVEADM, ['-c', conf, ...args], input);

  const handle: DovecotHandle = {
    host: '127.0.0.1',
    imapPort,
    lmtpPort,
    dir,
    async deliver(rcpt, raw, from = 'sender@example.com') {
      const transport = nodemailer.createTransport({ lmtp: true, host: '127.0.0.1', port: lmtpPort });
      try {
        // nodemailer reports an LMTP recipient's refusal (552 over quota, 550 no such user) in
        // `rejected` and resolves: a test would believe a refused mail arrived (quota review L2).
        const info = await transport.sendMail({ envelope: { from, to: [rcpt.includes('@') ? rcpt : `${rcpt}@localhost`] }, raw });
        if (info.rejected.length > 0) {
          const why = (info as { rejectedErrors?: Array<{ response?: string }> }).rejectedErrors?.map((e) => e.response).join('; ');
          throw new Error(`Dovecot refused the delivery to ${info.rejected.join(', ')}: ${why ?? 'no reason given'}`);
        }
      } finally {
        transport.close();
      }
    },
    async append(user, folder, raw) {
      // Created unless it exists, in one step. A look at the list before creating failed once in
      // a loaded round: the list did not show the folder and its creation then said "already
      // exists" (a client's session was trying to open it meanwhile; why Dovecot answered so, not found).
      await doveadm(['mailbox', 'create', '-u', user, folder]).catch((err: unknown) => {
        if (!/Mailbox already exists/.test(String(err))) throw err;
      });
      await doveadm(['save', '-u', user, '-m', folder], raw);
    },
    async list(user, folder) {
      const out = await doveadm(['-f', 'json', 'fetch', '-u', user, 'uid size.physical flags text', 'mailbox', folder]);
      const rows = JSON.parse(out || '[]') as Array<Record<string, string>>;
      return rows.map((row) => toStoredMessage(row)).sort((a, b) => a.uid - b.uid);
    },
    async folders(user) {
      return (await doveadm(['mailbox', 'list', '-u', user])).split('\n').map((line) => line.trim()).filter(Boolean);
    },
    async uidValidity(user, folder) {
      const out = await doveadm(['-f', 'json', 'mailbox', 'status', '-u', user, 'uidvalidity', folder]);
      return (JSON.parse(out) as Array<{ uidvalidity: string }>)[0]!.uidvalidity;
    },
    async setUidValidity(user, folder, value) {
      await doveadm(['mailbox', 'create', '-u', user, folder]).catch((err: unknown) => {
        if (!/Mailbox already exists/.test(String(err))) throw err;
      });
      await doveadm(['mailbox', 'update', '-u', user, '--uid-validity', value, folder]);
    },
    async recreateMailbox(user, folder) {
      const before = await handle.uidValidity(user, folder);
      if (folder.toUpperCase() === 'INBOX') {
        // INBOX cannot be deleted: empty it and give it a new UIDVALIDITY, which is what a
        // server-side re-creation looks like to a client.
        await doveadm(['expunge', '-u', user, 'mailbox', 'INBOX', 'all']);
      } else {
        await doveadm(['mailbox', 'delete', '-u', user, folder]);
        await doveadm(['mailbox', 'create', '-u', user, folder]);
      }
      if ((await handle.uidValidity(user, folder)) === before || folder.toUpperCase() === 'INBOX') {
        const next = Math.max(Number(before) + 1, Math.floor(Date.now() / 1000));
        await doveadm(['mailbox', 'update', '-u', user, '--uid-validity', String(next), folder]);
      }
      return { before, after: await handle.uidValidity(user, folder) };
    },
    async setPassword(user, password) {
      users[user] = password;
      writeUsers();
      const taken = () => doveadm(['auth', 'test', '-x', 'service=imap', user, password]).then(() => true, () => false);
      await waitFor(async () => (await taken()) || undefined, { what: `Dovecot to take ${user}'s new password` });
    },
    async restart() {
      await terminate(child);
      child = await spawnDovecot(conf, dir, imapPort, greeting);
    },
    async stop() {
      await terminate(child);
      if (!process.env.KEEP_DOVECOT_DIR) rmSync(dir, { recursive: true, force: true });
    },
    log: () => readFileOr(join(dir, 'dovecot.log')),
  };
  return handle;
}

function toStoredMessage(row: Record<string, string>): StoredMessage {
  const raw = row.text ?? '';
  const headerBlock = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const headers: Record<string, string> = {};
  for (const line of headerBlock.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const match = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (match && !(match[1]!.toLowerCase() in headers)) headers[match[1]!.toLowerCase()] = match[2]!.trim();
  }
  return {
    uid: Number(row.uid),
    size: Number(row['size.physical']),
    flags: (row.flags ?? '').split(' ').filter(Boolean),
    raw,
    headers,
    messageId: headers['message-id'] ?? null,
    subject: headers.subject ?? null,
  };
}

