// What a message tells its operator to run, as this signrelay's operator must type it: the
// systemd unit it runs as (`signrelay@NAME` for an instance — $SIGNRELAY_INSTANCE: the
// template unit sets it, and `--name NAME` does — else `signrelay`: a message that said
// `systemctl restart signrelay` to the operator of signrelay@hr named the wrong service), and
// the signrelay commands, with the instance or the configuration file they must act on.

/** What `signrelay COMMAND` reads without --config, --name or $SIGNRELAY_CONFIG. */
export const DEFAULT_CONFIG_PATH = '/etc/signrelay/signrelay.yaml';

/** What `signrelay COMMAND --name NAME` reads. */
export function instanceConfigPath(name: string): string {
  return `/etc/signrelay/${name}.yaml`;
}

export function serviceUnit(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.SIGNRELAY_INSTANCE;
  return name ? `signrelay@${name}` : 'signrelay';
}

/** Whether this process runs as a systemd service: systemd sets $INVOCATION_ID for each (and $NOTIFY_SOCKET for a Type=notify one). */
export function underSystemd(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.INVOCATION_ID || env.NOTIFY_SOCKET);
}

/**
 * What makes this daemon read its configuration again, for the messages it sends: `systemctl
 * reload UNIT` as a service, else a SIGHUP to the process named by its data dir's pid file
 * (what the units' ExecReload= does) — a daemon started by hand, as the sandbox's `signrelay run
 * --config …` is, is no unit: `systemctl reload signrelay` acted on another signrelay, or on
 * none. The pid file, not the pid: an alert is read later, when the pid may be another
 * process's, and inside a container the daemon's own pid (often 1) is not the host's (diff
 * review 23 L4).
 */
export function reloadCommand(env: NodeJS.ProcessEnv = process.env, dataDir?: string): string {
  if (underSystemd(env) || dataDir === undefined) return `systemctl reload ${serviceUnit(env)}`;
  return `kill -HUP "$(cat ${shellWord(`${dataDir.replace(/\/+$/, '')}/signrelay.pid`)})"`;
}

/** One word for a POSIX shell: as it is when it needs no quoting, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A signrelay command as this instance's operator must type it: `signrelay retry r_1 --name hr`
 * for an instance (instances review M1: a hint without `--name` acted on another
 * configuration, or failed for want of /etc/signrelay/signrelay.yaml), `signrelay retry r_1
 * --config /tmp/x/signrelay.yaml` for a configuration neither the default nor the instance's
 * (newcomer review L4: a daemon started with --config told its operator commands that read
 * the default one — the wrong database, or none). $SIGNRELAY_CONFIG is the configuration this
 * process reads: the command line records --config FILE there, made absolute
 * (commands/dispatch.ts).
 */
export function operatorCommand(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const name = env.SIGNRELAY_INSTANCE;
  const config = env.SIGNRELAY_CONFIG;
  const words = [`signrelay ${command}`];
  if (name) words.push(`--name ${shellWord(name)}`);
  if (config && config !== (name ? instanceConfigPath(name) : DEFAULT_CONFIG_PATH)) words.push(`--config ${shellWord(config)}`);
  return words.join(' ');
}
