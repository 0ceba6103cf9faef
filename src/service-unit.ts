// The systemd unit this signrelay runs as, for the commands a message tells its operator to
// run: `signrelay@NAME` for an instance ($SIGNRELAY_INSTANCE: the template unit sets it, and
// `--name NAME` does), else `signrelay`. A message that said `systemctl restart signrelay` to
// the operator of signrelay@hr named the wrong service.
export function serviceUnit(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.SIGNRELAY_INSTANCE;
  return name ? `signrelay@${name}` : 'signrelay';
}

/**
 * A signrelay command as this instance's operator must type it: `signrelay retry r_1 --name hr`
 * for an instance (instances review M1: a hint without `--name` acted on another
 * configuration, or failed for want of /etc/signrelay/signrelay.yaml).
 */
export function operatorCommand(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const name = env.SIGNRELAY_INSTANCE;
  return name ? `signrelay ${command} --name ${name}` : `signrelay ${command}`;
}
