// ^C or a SIGTERM to the bench: stop the daemons and servers, remove the temp dir, exit
// 130. (Without this the default action would leave a Dovecot and daemons behind for
// their watchdogs; with it, everything is stopped in order.)
export function onInterrupt(cleanup: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(130);
    closing = true;
    process.stderr.write(`\n${signal}: stopping the daemon and servers…\n`);
    cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
