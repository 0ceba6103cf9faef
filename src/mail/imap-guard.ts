// How the watcher's parts await an IMAP call: the session's guard gives up on the call when
// the connection goes away (a pending command may never settle). Its own file so the pass,
// the copy lookup and the watcher share it without importing each other.
export type Guard = <T>(operation: Promise<T>) => Promise<T>;
