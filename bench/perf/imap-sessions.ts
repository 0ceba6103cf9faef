// The daemon's IMAP sessions as Dovecot shows them from the outside: with
// `verbose_proctitle = yes` each imap process is titled `…/imap [USER IP STATE]`, STATE
// being the command in progress (IDLE while a client idles). Read from /proc (what `ps`
// shows), among the children of this bench's own Dovecot master only — other Dovecots on
// the machine (a test suite running beside) are not ours.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childrenOf } from './proc-memory.ts';

export interface ImapSession {
  pid: number;
  user: string;
  state: string;
}

function cmdline(pid: number | string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}

/** The pid of the Dovecot master started on `dovecotDir`'s dovecot.conf. */
export function dovecotMaster(dovecotDir: string): number {
  const conf = join(dovecotDir, 'dovecot.conf');
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && cmdline(entry).split('\0').includes(conf) && cmdline(entry).startsWith('/usr/sbin/dovecot')) return Number(entry);
  }
  throw new Error(`no Dovecot master for ${conf}`);
}

/**
 * Reads the master's imap children as often as asked, cheaply (the poll must not take the
 * CPU the daemon starting beside it needs): the master's own list of children, and only
 * their titles.
 */
export function imapSessionReader(master: number): () => ImapSession[] {
  return () => {
    const sessions: ImapSession[] = [];
    for (const pid of childrenOf(master)) {
      const title = /\/imap \[(\S+) \S+ ?([^\]]*)\]/.exec(cmdline(pid));
      if (title) sessions.push({ pid, user: title[1]!, state: title[2]!.trim() });
    }
    return sessions;
  };
}

/** True when every user has a session in IDLE. */
export const allIdle = (sessions: ImapSession[], users: string[]) => users.every((u) => sessions.some((s) => s.user === u && s.state === 'IDLE'));
