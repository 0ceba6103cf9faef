// One pass over the watched folder: list every message still in it (each one is unfinished,
// finished ones are moved out), hand them to the handler — `concurrency` at once, in UID
// order — and move each to the folder the handler answered as soon as it answered. The
// IMAP commands of messages in hand at once (downloads, moves) queue on the one connection.
// Metadata is fetched into an array first because running an IMAP command inside a fetch()
// iteration deadlocks imapflow.
import { randomUUID } from 'node:crypto';
import type { CopyResponseObject, DownloadOptions, FetchMessageObject, FetchOptions, FetchQueryObject, ImapFlow } from 'imapflow';
// RFC 9051 folds MOVE, IDLE and UIDPLUS into IMAP4rev2: a rev2-only server lists none of them (diff review 25 L2).
import { hasCapability } from 'imapflow/lib/tools.js';
import type { Logger } from 'winston';
import { collectGarbage, COLLECT_AFTER_BYTES } from '../collect-garbage.ts';
import { SignrelayError, describeError } from '../errors.ts';
import { findCopies, type CopyWanted } from './find-copies.ts';
import type { Guard } from './imap-guard.ts';
import { takeServerRefusal, type ServerRefusal } from './imap-client.ts';
import { quotaFix } from '../mail-quota.ts';
import { gatherBytes } from './gather-bytes.ts';
import { buildOutline, canOutline, otherParts, outlineParts, type OtherPart, type OutlineOptions } from './mail-outline.ts';
import { passOrder, senderOf } from './pass-order.ts';
import type { RetrySchedule } from './retry-schedule.ts';
import { monotonicMs } from '../time.ts';
import type { MessageInParts, MessageOutcome, WatchedMessage } from './watched-message.ts';

/** How much of a part one FETCH asks for when a part is downloaded on its own. */
const PART_CHUNK_BYTES = 1024 * 1024;

export interface PassContext {
  mailbox: string;
  folder: string;
  /** Qualifies the folder's UIDVALIDITY with the account and folder (message-place.ts). */
  place(uidValidity: string): string;
  logger: Logger;
  retries: RetrySchedule;
  handle(message: WatchedMessage): Promise<MessageOutcome>;
  /** Messages in hand at once. */
  concurrency: number;
  onMoved?: ((message: WatchedMessage, folder: string) => void | Promise<void>) | undefined;
  /** A mail that was gone when it was moved: another program (another signrelay?) took it meanwhile. */
  onTakenElsewhere?: ((message: WatchedMessage) => void) | undefined;
  /** The senders to take first in each turn (pass-order.ts), asked at each listing; none when absent. */
  knownSenders?: (() => ReadonlySet<string>) | undefined;
  /** Told the UIDs in the folder (its place: message-place.ts) at the start of each pass, before any is handed over. */
  onListed?: ((place: string, present: ReadonlySet<number>) => void) | undefined;
  heartbeat(): void;
  isStopping(): boolean;
  /** Records the selected folder's UIDVALIDITY (firing the change callback) and returns it. */
  noteUidValidity(client: ImapFlow): string;
  createFolder(client: ImapFlow, folder: string, guard: Guard): Promise<void>;
  processed(message: WatchedMessage, folder: string): void;
  deferred(message: WatchedMessage, reason: string, retryInMs: number): void;
  failed(error: SignrelayError): void;
  /** The account, as an operator names it (`sign on imap.corp.example`), and the folders signrelay files its mail into: a refusal for the quota names both. */
  account: string;
  filingFolders: readonly string[];
}

/** A mail filed before (its outcome committed) that is to be filed again, once it is known whether its copy is there. */
interface Refiling extends CopyWanted {
  message: WatchedMessage;
  moveTo: string;
}

/** A pass hands over at most this many mails per lane (and of one sender) before it lists the folder again. */
const MAILS_PER_SENDER_PER_LANE = 4;

export async function runWatchPass(client: ImapFlow, ctx: PassContext, guard: Guard): Promise<void> {
  const refilings: Refiling[] = [];
  const lock = await guard(client.getMailboxLock(ctx.folder));
  let uidValidity: string;
  try {
    uidValidity = ctx.noteUidValidity(client);
    const count = client.mailbox ? client.mailbox.exists : 0;
    const found = count === 0 ? [] : await guard(client.fetchAll('1:*', { uid: true, size: true, envelope: true }));
    ctx.heartbeat();
    found.sort((a, b) => a.uid - b.uid);
    const present = new Set(found.map((m) => m.uid));
    ctx.retries.retainOnly(present);
    try {
      ctx.onListed?.(ctx.place(uidValidity), present);
    } catch (err) {
      ctx.logger.warn('onListed callback failed', { error: describeError(err) });
    }
    // Senders in turn, a few mails of each (pass-order.ts); when those are handed over and a
    // sender had more, the folder is listed again — mails handed over in this pass left out,
    // those that arrived meanwhile taking their turn — while the other lanes carry on.
    const perSender = ctx.concurrency * MAILS_PER_SENDER_PER_LANE;
    const handed = new Set<number>();
    /** Mails handed over this pass, by sender: a sender's turn goes on from there at the next listing. */
    const handedBySender = new Map<string, number>();
    const plan = (listed: FetchMessageObject[]) => {
      const known = ctx.knownSenders?.() ?? new Set<string>();
      return passOrder(listed.filter((meta) => !handed.has(meta.uid) && ctx.retries.isDue(meta.uid, monotonicMs())), {
        perSender, maxQueue: perSender, known: (sender) => known.has(sender), handed: (sender) => handedBySender.get(sender) ?? 0,
      });
    };
    let { queue, more } = plan(found);
    // Listed again, only what came since (UIDs above the highest seen): a backlog of thousands
    // is not fetched whole every few mails. A mail that left the folder meanwhile is found
    // gone when its turn comes, as one that leaves between a listing and its handler is.
    let listed = found;
    let highest = found.reduce((top, meta) => Math.max(top, meta.uid), 0);
    let listing: Promise<void> | null = null;
    const listAgain = async () => {
      const added = (await guard(client.fetchAll(`${highest + 1}:*`, { uid: true, size: true, envelope: true }, { uid: true })))
        .filter((meta) => meta.uid > highest); // `N:*` names the last mail even when N is past it
      ctx.heartbeat();
      listed = [...listed.filter((meta) => !handed.has(meta.uid)), ...added];
      highest = added.reduce((top, meta) => Math.max(top, meta.uid), highest);
      ({ queue, more } = plan(listed));
    };
    const next = async (): Promise<FetchMessageObject | undefined> => {
      if (queue.length === 0 && more) await (listing ??= listAgain().finally(() => (listing = null)));
      return queue.shift();
    };
    const lane = async () => {
      for (let meta = await next(); meta && !ctx.isStopping(); meta = await next()) {
        handed.add(meta.uid);
        handedBySender.set(senderOf(meta), (handedBySender.get(senderOf(meta)) ?? 0) + 1);
        await handleOne(client, ctx, guard, toWatched(client, ctx, guard, meta, uidValidity), refilings);
      }
    };
    // A lane that failed (the connection died) ends the pass once the others put down their message.
    const lanes = await Promise.allSettled(Array.from({ length: Math.min(ctx.concurrency, queue.length) }, lane));
    const failed = lanes.find((l) => l.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    lock.release();
  }
  if (refilings.length > 0) await refile(client, ctx, guard, uidValidity, refilings);
}

/**
 * Files again the mails that were filed before: a mail whose copy the target folder already
 * holds (a MOVE cut half-way) is only expunged here; the others are moved. Outside the pass's
 * lock, as the target folders are selected to look.
 */
async function refile(client: ImapFlow, ctx: PassContext, guard: Guard, uidValidity: string, refilings: Refiling[]): Promise<void> {
  const copied = new Set<number>();
  for (const folder of new Set(refilings.map((r) => r.moveTo))) {
    for (const uid of await findCopies(client, guard, folder, refilings.filter((r) => r.moveTo === folder))) copied.add(uid);
  }
  const lock = await guard(client.getMailboxLock(ctx.folder));
  try {
    // Another folder's UIDs now: the next pass hands its mails over afresh.
    if (ctx.noteUidValidity(client) !== uidValidity) return;
    for (const { message, moveTo } of refilings) {
      const log = ctx.logger.child({ uid: message.uid, messageId: message.messageId });
      if (!copied.has(message.uid)) {
        if (!(await moveMessage(client, ctx, guard, message, moveTo))) continue;
        log.info('mail moved', { to: moveTo });
        await moved(ctx, message, moveTo, log);
        continue;
      }
      if (!(await expungeCopied(client, ctx, guard, message, moveTo))) continue;
      log.info('mail was filed already (a move cut half-way): the leftover expunged', { to: moveTo });
      await moved(ctx, message, moveTo, log);
    }
  } finally {
    lock.release();
  }
}

/** A command the server answered NO or BAD to (the connection is fine). */
const refusedByServer = (err: unknown) => ['NO', 'BAD'].includes((err as { responseStatus?: unknown } | null)?.responseStatus as string);

interface MessageInHand {
  message: WatchedMessage;
  /** fetchSource() works only while this is true (the handler is running). */
  setInHand(value: boolean): void;
}

function toWatched(client: ImapFlow, ctx: PassContext, guard: Guard, meta: FetchMessageObject, uidValidity: string): MessageInHand {
  let inHand = false;
  // A message is read only while its handler runs; one no longer there is a transient failure.
  const mustBeInHand = () => {
    if (!inHand) throw new SignrelayError('permanent', 'imap_source_outside_handler', `Message UID ${meta.uid} was downloaded after its handler returned.`);
  };
  const gone = () => new SignrelayError('transient', 'imap_message_gone', `Message UID ${meta.uid} is no longer in folder "${ctx.folder}".`);
  /** One FETCH of this message. */
  const fetch = async (query: FetchQueryObject): Promise<FetchMessageObject> => {
    mustBeInHand();
    const fetched = await guard(client.fetchOne(String(meta.uid), query, { uid: true }));
    if (!fetched) throw gone();
    ctx.heartbeat();
    return fetched;
  };
  const download = async (what: 'source' | 'headers'): Promise<Buffer> => {
    const content = (await fetch({ [what]: true }))[what];
    if (!content) throw gone();
    return content;
  };
  /** What an outline is built from; null for a message of one part (or nothing to leave out), read whole. */
  const outlineInput = async (options: OutlineOptions = {}) => {
    const { headers, bodyStructure } = await fetch({ headers: true, bodyStructure: true });
    if (!headers || !canOutline(bodyStructure)) return null;
    const { mime, bodies } = outlineParts(bodyStructure, options);
    const { bodyParts } = await fetch({ bodyParts: [...mime, ...bodies] });
    const pieces = new Map([...(bodyParts ?? [])].map(([key, value]) => [key.toUpperCase(), value]));
    // A nonce the sender cannot know: no line of a text part can end a part early or start one, nor name a placeholder.
    return { headers, bodyStructure, pieces, nonce: randomUUID() };
  };
  const outline = async (options: Pick<OutlineOptions, 'report'> = {}): Promise<Buffer> => {
    const input = await outlineInput(options);
    if (!input) return download('source');
    return buildOutline(input.headers, input.bodyStructure, input.pieces, `signrelay-outline-${input.nonce}`);
  };
  /**
   * One part, decoded: by the server where it can (IMAP BINARY: the part comes as its bytes,
   * not as base64 a third larger to be decoded here — a 20 MB PDF cost the daemon 23 MB less),
   * else by imapflow as the base64 or quoted-printable arrives. Partial FETCHes of
   * PART_CHUNK_BYTES each, gathered into one buffer of the size the part can decode to.
   */
  const downloadPart = async ({ part, decodedAtMost }: OtherPart): Promise<Buffer> => {
    mustBeInHand();
    try {
      return await readPart(part, decodedAtMost, true);
    } catch (err) {
      // Dovecot will not decode a part whose encoding is broken or unknown (NO [PARSE]): it is
      // decoded here then, as leniently as in a mail read whole.
      if (!client.usable || !refusedByServer(err)) throw err;
      ctx.logger.debug('the server would not decode a part; decoding it here', { uid: meta.uid, part, error: describeError(err) });
      return readPart(part, decodedAtMost, false);
    }
  };
  const readPart = async (part: string, decodedAtMost: number | undefined, binary: boolean): Promise<Buffer> => {
    // imapflow 2.1.2 hands download()'s options to each FETCH, whose `binary` asks for BINARY
    // where the server offers it; its DownloadOptions type leaves it out (the watcher tests
    // see BINARY in the commands sent).
    const options: DownloadOptions & Pick<FetchOptions, 'binary'> = { uid: true, chunkSize: PART_CHUNK_BYTES, binary };
    const { content } = await guard(client.download(String(meta.uid), part, options));
    if (!content) throw gone();
    const gathered = gatherBytes(decodedAtMost);
    await guard(new Promise<void>((resolve, reject) => {
      content.on('data', (chunk: Buffer) => gathered.add(chunk));
      content.once('end', resolve);
      content.once('error', reject);
    }));
    ctx.heartbeat();
    return gathered.bytes();
  };
  const inParts = async (): Promise<MessageInParts> => {
    const input = await outlineInput({ textAttachments: true });
    if (!input) return { outline: await download('source'), whole: true, downloadParts: async () => new Map() };
    const others = otherParts(input.bodyStructure, meta.size);
    const stand = new Map(others.map(({ part }) => [part, `signrelay-part-${input.nonce}-${part}`]));
    const downloadParts = async () => {
      const parts = new Map<string, Buffer>();
      for (const other of others) parts.set(stand.get(other.part)!, await downloadPart(other));
      return parts;
    };
    return { outline: buildOutline(input.headers, input.bodyStructure, input.pieces, `signrelay-outline-${input.nonce}`, stand), downloadParts };
  };
  const sender = meta.envelope?.from?.[0]?.address;
  const message: WatchedMessage = {
    mailbox: ctx.mailbox,
    folder: ctx.folder,
    place: ctx.place(uidValidity),
    uid: meta.uid,
    size: meta.size ?? 0,
    messageId: meta.envelope?.messageId ?? null,
    ...(sender ? { envelopeFrom: sender } : {}),
    fetchSource: () => download('source'),
    fetchHeaders: () => download('headers'),
    fetchOutline: outline,
    fetchInParts: inParts,
  };
  return { message, setInHand: (value) => (inHand = value) };
}

async function handleOne(client: ImapFlow, ctx: PassContext, guard: Guard, { message, setInHand }: MessageInHand, refilings: Refiling[]): Promise<void> {
  const log = ctx.logger.child({ uid: message.uid, messageId: message.messageId });
  let outcome: MessageOutcome;
  setInHand(true);
  try {
    outcome = await ctx.handle(message);
  } catch (err) {
    // The connection died under the handler (a download cut off): not this mail's failure,
    // and no reason to keep it waiting out a retry delay — the lane ends, and the next
    // session's catch-up hands it over at once. A mail cut off before waits its turn like
    // any failed one, so a mail that ends the connection each time cannot hold the folder.
    if (!client.usable && ctx.retries.attempts(message.uid) === 0) {
      log.info('mail handler cut off by the lost connection; the next connection hands it over again', { error: describeError(err) });
      ctx.retries.countCut(message.uid);
      throw err;
    }
    log.warn('mail handler failed; will retry', { error: describeError(err) });
    outcome = { retryLater: `handler failed: ${describeError(err)}` };
  } finally {
    setInHand(false);
    // What a large mail's handling left (its parts, a stamped PDF) is given back now, not
    // when the daemon next allocates enough (collect-garbage.ts).
    if (message.size >= COLLECT_AFTER_BYTES) collectGarbage();
  }
  if ('retryLater' in outcome) {
    defer(ctx, message, outcome.retryLater);
    return;
  }
  if (outcome.moveTo === ctx.folder) {
    // Moving into the watched folder itself would hand the same mail over again forever.
    const error = new SignrelayError('config', 'imap_move_to_watched_folder',
      `The handler asked to move UID ${message.uid} into the watched folder "${ctx.folder}" itself.`);
    ctx.failed(error);
    defer(ctx, message, error.message);
    return;
  }
  if (outcome.filedBefore && ctx.retries.copiedTo(message.uid) === outcome.moveTo) {
    // Copied before, and the server kept the original (a move without MOVE): only its delete
    // is tried again, never a second copy — a mail without a Message-ID has no copy to find.
    if (!(await expungeCopied(client, ctx, guard, message, outcome.moveTo))) return;
    log.info('mail moved', { to: outcome.moveTo });
    await moved(ctx, message, outcome.moveTo, log);
    return;
  }
  // Without MOVE a copy may be there from before the folder's UIDVALIDITY changed (the mail kept
  // by a server that would not expunge it, met again as a duplicate): looked for as a refiling is,
  // so it is not copied a second time (diff review 25 L1).
  if ((outcome.filedBefore || !hasCapability(client, 'MOVE')) && message.messageId !== null) {
    const fetched = await guard(client.fetchOne(String(message.uid), { internalDate: true, headers: true }, { uid: true }));
    if (fetched && fetched.internalDate !== undefined && fetched.headers) {
      refilings.push({ message, moveTo: outcome.moveTo, uid: message.uid, messageId: message.messageId, size: message.size, internalDate: new Date(fetched.internalDate), headers: fetched.headers });
      return;
    }
  }
  if (!(await moveMessage(client, ctx, guard, message, outcome.moveTo))) return;
  log.info('mail moved', { to: outcome.moveTo });
  await moved(ctx, message, outcome.moveTo, log);
}

/** The bookkeeping once a mail left the watched folder. */
async function moved(ctx: PassContext, message: WatchedMessage, folder: string, log: Logger): Promise<void> {
  ctx.retries.forget(message.uid);
  try {
    await ctx.onMoved?.(message, folder);
  } catch (err) {
    log.warn('onMoved callback failed', { error: describeError(err) });
  }
  ctx.processed(message, folder);
}

/**
 * UID MOVE; on a server without MOVE, UID COPY, then \Deleted and UID EXPUNGE (plain EXPUNGE
 * without UIDPLUS) — done here, not by imapflow's own fallback, whose `false` does not tell a
 * refused copy from a refused delete (a retry then copied the mail twice), and whose `true`
 * does not tell whether the server removed the mail (RFC 4314 lets it answer OK and keep a
 * mail the account may not expunge). A MOVE or COPY refused for a missing target folder is
 * tried once more after creating it; nothing else is repeated.
 */
async function moveMessage(client: ImapFlow, ctx: PassContext, guard: Guard, message: WatchedMessage, folder: string): Promise<boolean> {
  const hasMove = hasCapability(client, 'MOVE');
  // What the server refused before this command (another command's NO) is not its reason.
  const place = () => {
    takeServerRefusal(client);
    const uid = String(message.uid);
    return guard(hasMove ? client.messageMove(uid, folder, { uid: true }) : client.messageCopy(uid, folder, { uid: true }));
  };
  let placed = await place();
  let said = placed ? undefined : takeServerRefusal(client);
  if (!placed && client.usable && targetMissing(said?.code)) {
    try {
      await ctx.createFolder(client, folder, guard);
      placed = await place();
      said = placed ? undefined : takeServerRefusal(client);
    } catch (err) {
      if (!client.usable) throw err;
      ctx.logger.warn('could not create target folder', { to: folder, error: describeError(err) });
    }
  }
  if (!placed && said?.code === 'OVERQUOTA') {
    // RFC 5530: the account is full. The mail waits until there is room, and what makes room
    // is said — the server's "Quota exceeded" alone named no fix (quota review L1). The
    // watcher's error with this code raises the mailbox-full alert.
    return notFiled(client, ctx, message, new SignrelayError('transient', 'imap_over_quota',
      `Could not move message UID ${message.uid} from "${ctx.folder}" to "${folder}": the account ${ctx.account} is over its quota ` +
      `(the server said: ${said.text}). Make room: ${quotaFix(ctx.filingFolders)}; the mail waits in "${ctx.folder}" until then.`),
    'a mail could not be filed: the IMAP account is over its quota; expire old mail from the folders signrelay files into, or raise the quota', folder, said);
  }
  if (!placed) {
    // imapflow answers a refused MOVE with `false`; the server's reason (a right missing, a
    // quota) is what the operator needs to see.
    return notFiled(client, ctx, message, new SignrelayError('transient', 'imap_move_failed',
      `Could not move message UID ${message.uid} from "${ctx.folder}" to "${folder}"${said ? ` (the server said: ${said.text})` : ''}.`),
    'a mail could not be filed: the IMAP server refused the move; check that the account may write to the folder (its rights, its quota)', folder, said);
  }
  if (!hasMove) {
    // Noted before the delete: a mail the server keeps, or a connection lost meanwhile, is not copied again.
    ctx.retries.noteCopied(message.uid, folder);
    if (!(await expungeCopied(client, ctx, guard, message, folder))) return false;
  }
  if (takenElsewhere(client, hasCapability(client, 'UIDPLUS'), placed, message.uid)) ctx.onTakenElsewhere?.(message);
  return true;
}

/**
 * Whether a refused MOVE or COPY is to be tried again once its target folder is created: when
 * the server said the target does not exist (RFC 3501 TRYCREATE, RFC 5530 NONEXISTENT), or
 * gave no code at all (a server that leaves TRYCREATE out would otherwise keep the mail until
 * its next connect makes the folder) — not for a right missing or a quota. A refused command
 * placed nothing, so its retry cannot make a second copy.
 */
export function targetMissing(code: string | undefined): boolean {
  return code === undefined || code === 'TRYCREATE' || code === 'NONEXISTENT';
}

/**
 * Deletes a mail whose copy is in `folder`, and looks whether it is gone: a server may answer
 * the STORE and the EXPUNGE OK and keep a mail the account may not delete or expunge (the ACL
 * rights t and e, RFC 4314) — signrelay said "mail moved" and handed it over at every pass.
 * A mail kept is a refused move. A server that will not search is believed on its EXPUNGE.
 */
async function expungeCopied(client: ImapFlow, ctx: PassContext, guard: Guard, message: WatchedMessage, folder: string): Promise<boolean> {
  // imapflow sends no STORE of a flag the folder's PERMANENTFLAGS leave out, and those are
  // learnt at SELECT: rights given since show only at a new one.
  const flags = client.mailbox ? client.mailbox.permanentFlags : undefined;
  if (flags && !flags.has('\\*') && !flags.has('\\Deleted')) {
    try {
      await guard(client.mailboxOpen(ctx.folder));
    } catch (err) {
      if (!client.usable) throw err;
      // Not the watched folder's setting (it was opened at the session's start): a passing refusal, not
      // a "folder missing" for the operator to fix (diff review 25 L4). The next session starts afresh.
      throw new SignrelayError('transient', 'imap_error', `The IMAP folder "${ctx.folder}" could not be opened again to delete a filed mail: ${describeError(err)}`, { cause: err });
    }
    // Another folder under that name now: its UID is another mail's. The next session starts afresh.
    if (ctx.place(ctx.noteUidValidity(client)) !== message.place) {
      throw new SignrelayError('transient', 'imap_uidvalidity_changed', `The IMAP folder "${ctx.folder}" was replaced while a mail was filed; reconnecting.`);
    }
  }
  takeServerRefusal(client);
  const deleted = await guard(client.messageDelete(String(message.uid), { uid: true }));
  const said = deleted ? undefined : takeServerRefusal(client);
  const left = await guard(client.search({ uid: String(message.uid) }, { uid: true }));
  if (left ? !left.includes(message.uid) : deleted) return true;
  return notFiled(client, ctx, message, new SignrelayError('transient', 'imap_move_failed',
    `Could not move message UID ${message.uid} from "${ctx.folder}" to "${folder}": its copy is there, but the server kept it in ` +
    `"${ctx.folder}"${said ? ` (the server said: ${said.text})` : ''}. The account needs the rights to delete and expunge mail in ` +
    `"${ctx.folder}" (IMAP ACL rights t and e).`),
  'a mail could not be filed: the IMAP server kept it in the watched folder after copying it; check that the account may delete and expunge there (IMAP ACL rights t and e)', folder, said);
}

/** A mail the server would not file: warned, the watcher's error, and tried again later. Always false. */
function notFiled(client: ImapFlow, ctx: PassContext, message: WatchedMessage, error: SignrelayError, warning: string, folder: string, said: ServerRefusal | undefined): false {
  // A dead connection: the next session's catch-up hands the message over again at once.
  if (!client.usable) throw error;
  ctx.logger.warn(warning, { uid: message.uid, from: ctx.folder, to: folder, ...(said ? { server: said.text } : {}) });
  ctx.failed(error);
  defer(ctx, message, error.message);
  return false;
}

/**
 * Whether the server answered a MOVE without moving the mail: under UIDPLUS its answer names
 * every mail it moved (COPYUID), and a mail already gone — taken by another program between
 * the listing and the move — is not among them (Dovecot answers OK all the same). Only a
 * server seen to name what it moved on this connection is believed when it names nothing: RFC
 * 6851 says SHOULD, and one that never sends COPYUID would have every mail reported taken
 * (diff review 19 M2). Without UIDPLUS nothing tells, and nothing is said.
 */
export function takenElsewhere(connection: object, uidPlus: boolean, moved: Pick<CopyResponseObject, 'uidMap'>, uid: number): boolean {
  if (!uidPlus) return false;
  if (moved.uidMap && moved.uidMap.size > 0) {
    namesWhatItMoves.add(connection);
    return !moved.uidMap.has(uid);
  }
  return namesWhatItMoves.has(connection);
}

/** The connections whose server answered a MOVE with COPYUID. */
const namesWhatItMoves = new WeakSet<object>();

/** Deferred this often in a row, a mail is a warning: what holds it back (a full temp directory, a service down) is not a blip. */
const WARN_AFTER_DEFERRALS = 3;

function defer(ctx: PassContext, message: WatchedMessage, reason: string): void {
  const retryInMs = ctx.retries.defer(message.uid, monotonicMs());
  const attempts = ctx.retries.attempts(message.uid);
  const fields = { uid: message.uid, reason, retryInMs, attempts };
  if (attempts >= WARN_AFTER_DEFERRALS) ctx.logger.warn('mail deferred', fields);
  else ctx.logger.info('mail deferred', fields);
  ctx.deferred(message, reason, retryInMs);
}
