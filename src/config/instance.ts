// One signrelay per request mailbox on a host: the systemd template unit
// signrelay@NAME.service (deploy/signrelay@.service) runs instance NAME with its
// configuration, state and secrets at fixed places, which `--name NAME` finds for every
// command and `init --name NAME` fills in. Pure.
import { instanceConfigPath } from '../service-unit.ts';

export interface Instance {
  name: string;
  /** /etc/signrelay/NAME.yaml */
  configPath: string;
  /** /var/lib/signrelay/NAME: the unit's StateDirectory=signrelay/%i. */
  dataDir: string;
  /** /etc/signrelay/credentials/NAME: the unit's LoadCredential source. */
  credentialsDir: string;
  /** signrelay@NAME */
  unit: string;
}

/** A systemd instance name that needs no escaping, and a file name everywhere. */
const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function instanceOf(name: string): Instance | { problem: string } {
  if (!NAME_RE.test(name)) return { problem: `--name ${JSON.stringify(name)}: an instance name is lower-case letters, digits, - and _ (e.g. hr, procurement)` };
  return {
    name,
    configPath: instanceConfigPath(name),
    dataDir: `/var/lib/signrelay/${name}`,
    credentialsDir: `/etc/signrelay/credentials/${name}`,
    unit: `signrelay@${name}`,
  };
}
