// A local stand-in for a ServiceNow instance, for tests and `signrelay demo`. It enforces
// what the documentation says the real one does (SERVICENOW.md): auth on every /api call
// (basic or an unexpired bearer), form-only `/oauth_token.do`, a 403 per table, write ACLs
// (a table's: 403; a field's: the field dropped silently), rate limits with 429 +
// Retry-After, error bodies in ServiceNow's shape; it records every call, can be told to
// fail on purpose, and — given a mailbox — runs an inbound email action. Given the update
// set signrelay ships, its UI action can be clicked through the API (ui-action.ts), and the
// notification it triggers is mailed as the instance would mail it.
// Routing, auth and recording live here; the rules live in the files next to it.
import type { IncomingMessage } from 'node:http';
import { FaultQueue, header, HttpProblem, injectFault, lateBy, listenLocal, mediaType, readBody, recordCall, sendJson, type FaultSpec, type RecordedHttpCall, type ServeTls } from '../http-util.ts';
import { newWatermark } from './classify-inbound.ts';
import { startInboundProcessor, type InboundOptions, type InboundProcessor } from './inbound-email.ts';
import { SimInstance, snError, type SeedRecord, type SimAttachment, type SimRecord } from './instance.ts';
import { SnOAuthServer } from './oauth-server.ts';
import { RateLimiter, type RateLimitRule } from './rate-limit.ts';
import { attachmentApi, tableApi } from './rest-api.ts';
import { uiActionApi, type NotificationMailOptions, type SentNotification } from './ui-action.ts';
import type { UpdateSetDefinitions } from './update-set.ts';

export interface ServiceNowSimulatorOptions {
  /** Basic-auth users (and password-grant users): name → password. */
  users?: Record<string, string>;
  /** Users for whom the instance demands MFA: basic auth fails with `X-MFA_TOKEN: invalid`. */
  mfaUsers?: string[];
  /** OAuth applications: client_id → client_secret. */
  oauthClients?: Record<string, string>;
  accessTokenLifetimeSeconds?: number; // default 60
  refreshTokenLifetimeSeconds?: number; // default 100 days
  records?: SeedRecord[];
  /** Tables the integration user may not touch (403); `sys_attachment` = no attachments at all. */
  forbiddenTables?: string[];
  /** Write ACLs that fail: `table` (PATCH → 403, reads work) or `table.field` (the field silently not stored). */
  writeDenied?: string[];
  rateLimit?: RateLimitRule;
  inbound?: InboundOptions;
  /**
   * An imported update set (readUpdateSet) and how the instance mails its notifications:
   * its UI actions can then be clicked with `POST /api/now/ui/ui_action/{sys_id}`.
   */
  updateSet?: { definitions: UpdateSetDefinitions; mail: NotificationMailOptions };
  /** Users' roles (a UI action's condition may need one); `admin` has them all. */
  roles?: Record<string, string[]>;
  /** Users' email addresses (sys_user.email): an inbound mail's sender is the user with its From address. */
  userEmails?: Record<string, string>;
  now?: () => number;
  /** Serve https with this certificate (TLS tests); default plain http. */
  tls?: ServeTls;
}

export interface RecordedCall extends RecordedHttpCall {
  /** The authenticated user, once known. */
  user?: string;
}

export type { FaultSpec };

export interface ServiceNowSimulator {
  /** The instance URL: http://127.0.0.1:PORT */
  url: string;
  port: number;
  records: SimRecord[];
  attachments: Map<string, SimAttachment>;
  calls: RecordedCall[];
  addRecord(seed: SeedRecord): SimRecord;
  /**
   * The next call(s) whose path starts with `prefix` (e.g. /api/now/attachment) fail: with
   * a status, or `hang` / `malformed` / `gateway` (carried out, answer withheld, garbled or a gateway's error page instead), `late`
   * (carried out after a while, answer withheld), or `reset` (connection reset mid-body, not
   * carried out).
   */
  failNext(prefix: string, fault: FaultSpec): void;
  /** From now on the integration user may not touch `table` (403), as with `forbiddenTables`; `allowTable` undoes it. */
  forbidTable(table: string): void;
  allowTable(table: string): void;
  /** From now on writing `table` (403) or `table.field` (silently not stored) fails, as with `writeDenied`; `allowWrite` undoes it. */
  denyWrite(target: string): void;
  allowWrite(target: string): void;
  /** Kills every access token (and with `refresh`, every refresh token). */
  revokeTokens(options?: { refresh?: boolean }): void;
  /** A watermark the instance put in a notification about the record: `Ref:MSG…`. */
  issueWatermark(table: string, sysId: string, options?: { legacy?: boolean }): string;
  /** Remembers a Message-ID the instance sent about the record (In-Reply-To matching). */
  registerSentMail(messageId: string, table: string, sysId: string): void;
  /** Present when `inbound` was given. */
  inbound: InboundProcessor | null;
  /** The imported update set, when one was given. */
  updateSet: UpdateSetDefinitions | null;
  /** Every notification mail the instance sent, in order. */
  notifications: SentNotification[];
  /** Attaches a file to a record as a user does in the form (no API call recorded). */
  attachFile(table: string, sysId: string, file: { fileName: string; contentType: string; bytes: Buffer }, by?: string): SimAttachment;
  close(): Promise<void>;
}

const UNAUTHENTICATED = (headers: Record<string, string> = {}) => snError(401, 'User Not Authenticated', 'Required to provide Auth information', headers);
const DEFAULT_REFRESH_LIFETIME_SECONDS = 100 * 86_400;

export async function startServiceNowSimulator(options: ServiceNowSimulatorOptions = {}): Promise<ServiceNowSimulator> {
  const now = options.now ?? Date.now;
  const users = options.users ?? {};
  const mfaUsers = new Set(options.mfaUsers ?? []);
  const instance = new SimInstance(now);
  for (const seed of options.records ?? []) instance.addRecord(seed);
  const oauth = new SnOAuthServer({
    clients: options.oauthClients ?? {}, users, now,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 60,
    refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? DEFAULT_REFRESH_LIFETIME_SECONDS,
  });
  const limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : null;
  const forbiddenTables = new Set(options.forbiddenTables ?? []);
  const writeDenied = new Set(options.writeDenied ?? []);
  const calls: RecordedCall[] = [];
  const faults = new FaultQueue();
  const watermarks = new Map<string, string>();
  const sentMails = new Map<string, string>();
  const notifications: SentNotification[] = [];
  let watermarkCounter = 0;
  const issueWatermark = (sysId: string, legacy?: boolean) => {
    const mark = newWatermark(++watermarkCounter, legacy);
    watermarks.set(mark, sysId);
    return `Ref:${mark}`;
  };

  function authenticate(req: IncomingMessage): string {
    const authorization = header(req, 'authorization') ?? '';
    const basic = /^Basic\s+(\S+)$/i.exec(authorization);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      if (mfaUsers.has(user)) throw UNAUTHENTICATED({ 'X-MFA_TOKEN': 'invalid' });
      if (colon < 0 || users[user] === undefined || users[user] !== decoded.slice(colon + 1)) throw UNAUTHENTICATED();
      return user;
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
    const user = bearer ? oauth.bearerUser(bearer[1]!) : null;
    if (user === null) throw UNAUTHENTICATED();
    return user;
  }

  const injectedError = (status: number) => ({ error: { message: 'Injected failure', detail: `HTTP ${status}` }, status: 'failure' });

  let base = '';
  const listening = await listenLocal((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const call: RecordedCall = recordCall(req, res, url, now());
    calls.push(call);
    const fault = faults.take(url.pathname);
    if (fault) call.fault = fault.kind ?? 'status';
    if (fault && injectFault(req, res, fault, injectedError)) return;
    (async () => {
      const body = await readBody(req);
      const late = lateBy(fault);
      if (late > 0) await new Promise((resolve) => setTimeout(resolve, late));
      if (url.pathname === '/oauth_token.do' && req.method === 'POST') {
        const form = body.toString('utf8');
        call.body = mediaType(req) === 'application/x-www-form-urlencoded' ? Object.fromEntries(new URLSearchParams(form)) : form;
        const answer = oauth.token(mediaType(req), form);
        return sendJson(res, answer.status, answer.body);
      }
      const [api, now_, kind, ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (api !== 'api') throw snError(400, 'Requested URI does not represent any resource', null);
      call.user = authenticate(req);
      if (now_ === 'now' && kind === 'ui' && rest[0] === 'ui_action' && rest.length === 2) {
        if (!options.updateSet) throw snError(400, 'Requested URI does not represent any resource', 'no update set with UI actions was imported');
        const { definitions, mail } = options.updateSet;
        const sent = await uiActionApi({
          definitions, instance, user: call.user, roles: options.roles?.[call.user] ?? [], mail, now, forbiddenTables,
          issueWatermark: (record) => issueWatermark(record.sysId),
          registerSentMail: (messageId, record) => sentMails.set(messageId.replace(/^<|>$/g, ''), record.sysId),
        }, req, url, res, rest[1]!);
        notifications.push(...sent);
        call.body = { notifications: sent.length };
        return;
      }
      if (now_ !== 'now' || (kind !== 'table' && kind !== 'attachment')) throw snError(400, 'Requested URI does not represent any resource', null);
      const limited = limiter?.check(call.user, kind === 'table' ? 'Table API' : 'Attachment API', now());
      if (limited) throw limited;
      const ctx = { instance, base, user: call.user, forbiddenTables, writeDenied, watermarks };
      call.body = kind === 'table' ? await tableApi(ctx, req, url, body, res, rest) : await attachmentApi(ctx, req, url, body, res, rest);
    })().catch((err: unknown) => {
      call.error = err instanceof Error ? err.message : String(err);
      if (res.headersSent) return res.destroy();
      if (err instanceof HttpProblem) return sendJson(res, err.status, err.body, err.headers);
      sendJson(res, 500, { error: { message: 'Internal server error', detail: call.error }, status: 'failure' });
    });
  }, options.tls);
  base = `${options.tls ? 'https' : 'http'}://127.0.0.1:${listening.port}`;

  const inbound = options.inbound
    ? startInboundProcessor(options.inbound, instance, {
      watermark: (mark) => watermarks.get(mark),
      sentMail: (messageId) => sentMails.get(messageId.replace(/^<|>$/g, '')),
    }, options.updateSet ? {
      actions: options.updateSet.definitions.inboundActions, scriptIncludes: options.updateSet.definitions.scriptIncludes,
      userByEmail: (address) => {
        const user = Object.entries(options.userEmails ?? {}).find(([, email]) => email.toLowerCase() === address.toLowerCase())?.[0];
        return user === undefined ? undefined : { user, roles: options.roles?.[user] ?? [] };
      },
    } : undefined)
    : null;

  const recordOf = (table: string, sysId: string) => {
    const record = instance.bySysId(sysId);
    if (!record || !SimInstance.inTable(record, table)) throw new Error(`the simulator has no record ${table}/${sysId}`);
    return record;
  };

  return {
    url: base,
    port: listening.port,
    records: instance.records,
    attachments: instance.attachments,
    calls,
    addRecord: (seed) => instance.addRecord(seed),
    failNext: (prefix, fault) => faults.add(prefix, fault),
    forbidTable: (table) => { forbiddenTables.add(table); },
    allowTable: (table) => { forbiddenTables.delete(table); },
    denyWrite: (target) => { writeDenied.add(target); },
    allowWrite: (target) => { writeDenied.delete(target); },
    revokeTokens: (revoke) => oauth.revoke(revoke),
    issueWatermark: (table, sysId, issue = {}) => issueWatermark(recordOf(table, sysId).sysId, issue.legacy),
    registerSentMail(messageId, table, sysId) {
      sentMails.set(messageId.replace(/^<|>$/g, ''), recordOf(table, sysId).sysId);
    },
    inbound,
    updateSet: options.updateSet?.definitions ?? null,
    notifications,
    attachFile: (table, sysId, file, by = 'admin') => instance.attach(recordOf(table, sysId), { tableName: table, ...file, by }),
    async close() {
      await inbound?.close();
      await listening.close();
    },
  };
}
