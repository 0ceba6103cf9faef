// The outside-service items of `signrelay check`. Secured Signing: the API signature and
// the OAuth token are good (Account/Info: plan, documents left). ServiceNow: the login, read
// access to every table a route or record prefix can deliver to, and to attachments.
//
// Tokens: an OAuth refresh at Secured Signing rotates the refresh token, so check uses the
// daemon's token store for it (the database in storage.data_dir, created if the daemon has
// not run yet — systemd's StateDirectory= hands it to the service user at start) and keeps
// what it obtains. Signicat's and ServiceNow's tokens come from the configured client
// secret, user and password, so check obtains fresh ones: a token the daemon stored with
// the old values would pass a mistyped new secret, which is what a rotation asks check to
// prove (credentials.md). It reads; it never sends, attaches or notes anything.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { createProvider } from '../providers/create-provider.ts';
import { providerTraits } from '../providers/provider-traits.ts';
import { createServiceNowClient } from '../servicenow/client.ts';
import { describeProxies, proxySettingsFrom } from '../http/proxy-route.ts';
import { memoryStore } from '../http/token-manager.ts';
import type { Db } from '../store/open-database.ts';
import { isStorageFailure } from '../store/storage-failure.ts';
import type { CheckItem, CheckResult } from './checklist.ts';

const failed = (err: unknown): CheckResult => ({ ok: false, detail: err instanceof Error ? err.message : String(err) });

/** The tables signrelay may deliver to: each route's `table` and every record prefix's. */
export function deliveryTables(config: Config): string[] {
  const tables = [...Object.values(config.routes).map((r) => r.table), ...Object.values(config.records)];
  return [...new Set(tables.filter((t): t is string => typeof t === 'string' && t !== ''))].sort();
}

/** What a successful account call proves about the provider's credentials. */
function credentialsAccepted(config: Config): string {
  if (config.provider.type === 'signicat') return 'client credentials and token accepted';
  return config.provider.oauth ? 'signature and OAuth token accepted' : 'signature accepted';
}

/**
 * The HTTP proxy the services are reached through, when check's environment names one
 * (HTTPS_PROXY, NO_PROXY: proxy-route.ts) — the service's comes from its unit, so check is to
 * be run with the same variables. A value that cannot be used fails here, and each service's
 * item with it.
 */
function proxyCheckItem(env: NodeJS.ProcessEnv): CheckItem[] {
  const set = (names: string[]) => names.find((name) => env[name]?.trim());
  const https = set(['https_proxy', 'HTTPS_PROXY']);
  const http = set(['http_proxy', 'HTTP_PROXY']);
  if (!https && !http) return [];
  const unread = http ? [`${http} is not read: every service is called over https, through the proxy in HTTPS_PROXY — set that one`] : [];
  return [{
    title: 'HTTP proxy',
    async run() {
      try {
        const detail = describeProxies(proxySettingsFrom(env)) ?? 'none: the services are reached directly';
        return { ok: true, detail, ...(unread.length > 0 ? { warnings: unread } : {}) };
      } catch (err) {
        return { ...failed(err), fix: 'correct the variable (in the unit: Environment= or its EnvironmentFile=) or unset it, then restart signrelay' };
      }
    },
  }];
}

export function serviceCheckItems(config: Config, openDb: () => Db, logger: Logger, env: NodeJS.ProcessEnv = process.env): CheckItem[] {
  return [
    ...proxyCheckItem(env),
    {
      title: providerTraits(config.provider).displayName,
      async run() {
        const db = openDb();
        try {
          const provider = createProvider(config.provider, { db, logger, tokenStore: memoryStore() });
          const info = await provider.accountInfo();
          const facts = [info.plan && `plan ${info.plan}`, info.documentsLeft !== undefined && `${info.documentsLeft} documents left`].filter(Boolean);
          return { ok: true, detail: `${credentialsAccepted(config)}${facts.length ? ` (${facts.join(', ')})` : ''}` };
        } catch (err) {
          // The database under the token's renewal (another process's write lock, a full disk):
          // the checklist tells it as the storage failure it is, with its fix.
          if (isStorageFailure(err)) throw err;
          return failed(err);
        } finally {
          db.close();
        }
      },
    },
    {
      title: 'ServiceNow',
      async run() {
        const client = createServiceNowClient({ config: config.servicenow, tokenStore: memoryStore(), logger });
        const results: CheckResult[] = [];
        const auth = config.servicenow.auth;
        const who = auth.type === 'oauth' ? `OAuth client ${auth.client_id}${auth.user ? ` as ${auth.user}` : ''}` : auth.user;
        for (const table of [...deliveryTables(config), 'sys_attachment']) {
          try {
            await client.probeRead(table);
            results.push({
              ok: true,
              detail: table === 'sys_attachment'
                ? `${who} may read attachments (whether it may add them is only known at the first delivery: check its create ACL on sys_attachment)`
                : `${who} may read ${table}`,
            });
          } catch (err) {
            results.push(failed(err));
            // Only a refusal is about this table; a refused login or an unreachable
            // instance fails every table alike: once is enough.
            if ((err as { kind?: string }).kind !== 'permanent') break;
          }
        }
        return results;
      },
    },
  ];
}
