// An in-memory IMAP server (hoodiecrow-imap) behind a small typed handle, for the demo's
// mail world: no system packages, nothing on disk. Its own file because hoodiecrow is an
// untyped CommonJS module with a few quirks worth keeping in one place:
// - every login sees the SAME store (users differ only by password);
// - messages are "binary" strings (one char per byte), as its socket reader keeps them;
// - its server.close() waits for clients that never hang up, so sockets are tracked here.
// It is not a substitute for Dovecot in tests (no LMTP, no plus-addressing, no real quotas).
import { createRequire } from 'node:module';
import type { AddressInfo, Server, Socket } from 'node:net';

/** The plugins verified to work with imapflow 2.1.2 (what the IMAP watcher needs). */
const PLUGINS = ['ID', 'ENABLE', 'IDLE', 'MOVE', 'UIDPLUS', 'SPECIAL-USE', 'NAMESPACE', 'UNSELECT', 'AUTH-PLAIN', 'SASL-IR', 'LITERALPLUS'];

/** How long close() lets clients say LOGOUT before their sockets are cut. */
const CLOSE_GRACE_MS = 200;

interface HoodiecrowMessage {
  uid: number;
  raw: string;
  flags: string[];
}

interface HoodiecrowMailbox {
  path: string;
  messages: HoodiecrowMessage[];
}

interface HoodiecrowConnection {
  socket: Socket | null;
  /** The SELECTed folder, false when none is. */
  selectedMailbox: HoodiecrowMailbox | false;
  /** Set while a command (IDLE) takes the client's next line. */
  inputHandler: false | ((line: string) => void);
}

type CommandHandler = (connection: HoodiecrowConnection, parsed: unknown, data: string, done: () => void) => void;

/** The parts of hoodiecrow's IMAPServer used here (lib/server.js). */
interface HoodiecrowServer {
  server: Server;
  getCommandHandler(command: string): CommandHandler | false;
  setCommandHandler(command: string, handler: CommandHandler): void;
  listen(port: number, host: string, callback: () => void): void;
  getMailbox(path: string): HoodiecrowMailbox | undefined;
  appendMessage(mailbox: HoodiecrowMailbox, flags: string[], internaldate: Date | undefined, raw: string): { message: HoodiecrowMessage };
}

type CreateHoodiecrow = (options: Record<string, unknown>) => HoodiecrowServer;

export interface MemoryImapServer {
  host: string;
  port: number;
  /** Stores a message in a folder and notifies IDLE/selected clients (EXISTS); returns its UID. */
  append(folder: string, raw: Buffer): number;
  /**
   * Since when a client has been waiting in IMAP IDLE (the earliest, if several); null if none
   * is. With `folder`, only clients idling with that folder selected count.
   */
  idleSince(folder?: string): Date | null;
  close(): Promise<void>;
}

export interface MemoryImapServerOptions {
  /** Logins: user → password. They all see the same store. */
  users: Record<string, string>;
  /** Top-level folders that exist from the start, besides INBOX (e.g. `Returns`), so mail can be filed there at once. */
  folders?: string[];
}

export async function startMemoryImapServer(options: MemoryImapServerOptions): Promise<MemoryImapServer> {
  const createHoodiecrow = createRequire(import.meta.url)('hoodiecrow-imap') as CreateHoodiecrow;
  const folders = [...new Set(options.folders ?? [])];
  for (const folder of folders) {
    if (folder.toUpperCase() === 'INBOX' || folder.includes('/') || folder === '') throw new Error(`the in-memory IMAP server cannot pre-create the folder "${folder}" (top-level names other than INBOX only)`);
  }
  const imap = createHoodiecrow({
    plugins: PLUGINS,
    users: Object.fromEntries(Object.entries(options.users).map(([user, password]) => [user, { password }])),
    storage: { INBOX: { messages: [] }, '': { separator: '/', folders: Object.fromEntries(folders.map((f) => [f, { messages: [] }])) } },
  });
  const sockets = new Set<Socket>();
  imap.server.on('connection', (socket: Socket) => {
    // hoodiecrow writes an answer in several small writes: with Nagle's algorithm on, each
    // command waited ~40 ms for the client's delayed ACK.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const idling = trackIdle(imap);
  await new Promise<void>((resolve, reject) => {
    imap.server.once('error', reject);
    imap.listen(0, '127.0.0.1', () => resolve());
  });
  const { address, port } = imap.server.address() as AddressInfo;

  const mailbox = (folder: string): HoodiecrowMailbox => {
    const found = imap.getMailbox(folder);
    if (!found) throw new Error(`the in-memory IMAP server has no folder "${folder}"`);
    return found;
  };

  return {
    host: address,
    port,
    append(folder, raw) {
      return imap.appendMessage(mailbox(folder), [], new Date(), raw.toString('binary')).message.uid;
    },
    idleSince(folder) {
      const times = [...idling.values()].filter((i) => folder === undefined || sameFolder(i.folder, folder)).map((i) => i.since);
      return times.length === 0 ? null : new Date(Math.min(...times));
    },
    close() {
      return new Promise<void>((resolve) => {
        // Clients that logged out are gone already; the rest get a grace period, then are cut.
        const cut = setTimeout(() => sockets.forEach((s) => s.destroy()), CLOSE_GRACE_MS);
        imap.server.close(() => {
          clearTimeout(cut);
          resolve();
        });
      });
    },
  };
}

/**
 * Which connections are in IDLE, and since when: hoodiecrow's IDLE handler takes over the
 * client's next line (DONE), so a connection is idling from the IDLE command until that line
 * or until its socket closes.
 */
function trackIdle(imap: HoodiecrowServer): Map<HoodiecrowConnection, { since: number; folder: string | null }> {
  const idling = new Map<HoodiecrowConnection, { since: number; folder: string | null }>();
  const idle = imap.getCommandHandler('IDLE');
  if (!idle) throw new Error('hoodiecrow-imap was started without its IDLE plugin');
  imap.setCommandHandler('IDLE', (connection, parsed, data, done) => {
    idle(connection, parsed, data, done);
    const takeLine = connection.inputHandler;
    if (!takeLine) return; // refused (not logged in, bad arguments)
    idling.set(connection, { since: Date.now(), folder: connection.selectedMailbox ? connection.selectedMailbox.path : null });
    connection.socket?.once('close', () => idling.delete(connection));
    connection.inputHandler = (line) => {
      idling.delete(connection);
      takeLine(line);
    };
  });
  return idling;
}

/** IMAP folder names compare exactly, except INBOX, which is case-insensitive. */
function sameFolder(a: string | null, b: string): boolean {
  if (a === null) return false;
  return a.toUpperCase() === 'INBOX' ? b.toUpperCase() === 'INBOX' : a === b;
}
