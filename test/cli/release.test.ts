// The operator's side of a restore found at a start (alerts/restore-alert.ts): `status` says
// which requests are held and what to do, `requests --held` lists them, `show` says so, and
// `release` lets them go on — named ones or all — with clear refusals for the rest.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../../src/store/jobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { insertRequest } from '../../src/store/requests.ts';
import { holdOpenRequests, isHeld } from '../../src/store/restore-holds.ts';
import { shellWord } from '../../src/service-unit.ts';
import { linesOf, minimalConfigYaml, STACK_FRAME, tempDir, type TempDir } from './helpers.ts';
import { runInProcess } from './in-process.ts';

let dir: TempDir;
let configFile: string;
let dataDir: string;
const ids: string[] = [];

beforeAll(async () => {
  dir = await tempDir('signrelay-release-');
  dataDir = join(dir.path, 'data');
  const db = openDatabase(dataDir);
  const at = new Date('2026-12-06T09:00:00Z');
  for (const n of [1, 2, 3]) {
    ids.push(insertRequest(db, {
      token: `tok-release-${n}`, state: 'received', route: 'default', provider: 'secured-signing', requester: 'ann@corp.example',
      subject: `Contract ${n}`, messageId: null, record: { number: `RITM001000${n}`, table: 'sc_req_item' }, signers: [], dueDate: '2026-12-31', documents: [],
    }, at));
    enqueueJob(db, { kind: 'submit', requestId: ids.at(-1)! }, at);
  }
  holdOpenRequests(db, at);
  db.close();
  configFile = await dir.file('signrelay.yaml', minimalConfigYaml('routes: {default: {allowed_senders: ["*@corp.example"]}}', dataDir));
});
afterAll(async () => { await dir?.remove(); });

const operator = (args: string[]) => runInProcess([...args, '--config', configFile]);
const held = (id: string) => {
  const db = openDatabase(dataDir);
  try {
    return isHeld(db, id);
  } finally {
    db.close();
  }
};

describe('held requests, as the operator sees and releases them', () => {
  it('status names them and the way out; requests --held and show mark them', async () => {
    const status = await operator(['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('3 requests are held since 2026-12-06T09:00:00.000Z: signrelay.db was found behind what the data dir had seen of it');
    // The commands name the configuration status was given (newcomer review L4).
    expect(status.stdout).toContain(`check each (\`signrelay requests --held --config ${shellWord(configFile)}\`), cancel what already went out, then \`signrelay release --all --config ${shellWord(configFile)}\`\n`);
    // Held jobs are not "the queue behind".
    expect(status.stdout).not.toMatch(/job queue is behind/);
    const list = linesOf((await operator(['requests', '--held'])).stdout);
    expect(list).toHaveLength(4);
    expect(list.slice(1).every((line) => / received \(held\) /.test(line))).toBe(true);
    expect(JSON.parse((await operator(['requests', '--json'])).stdout).map((r: { held: boolean }) => r.held)).toEqual([true, true, true]);
    const shown = (await operator(['show', ids[0]!])).stdout;
    expect(linesOf(shown)).toContain(`held:          since a restore was found: nothing of it runs until \`signrelay release ${ids[0]} --config ${shellWord(configFile)}\` (check it at the provider and on its record first)`);
    // Its timeline's line names the configuration too (diff review 23 L5).
    expect(shown).toContain(`nothing runs until \`signrelay release --config ${shellWord(configFile)}\``);
    // A cancel of a held request says when it is carried out (diff review 20 L5).
    const cancel = await operator(['cancel', ids[2]!]);
    expect(cancel).toMatchObject({ code: 0, stderr: '' });
    expect(cancel.stdout).toBe(`request ${ids[2]}: cancellation queued — held since a restore was found: nothing of it is sent meanwhile, and the cancel is carried out once released (\`signrelay release ${ids[2]} --config ${shellWord(configFile)}\`)\n`);
  });

  it('release refuses what it cannot do, in one line each', async () => {
    expect(await operator(['release'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^signrelay release: name the requests to release, or --all \(not both\)\n/) });
    expect(await operator(['release', ids[0]!, '--all'])).toMatchObject({ code: 2 });
    const unknown = await operator(['release', 'r_000000000000']);
    expect(unknown).toMatchObject({ code: 1, stderr: `signrelay: no request r_000000000000 (see \`signrelay requests --held --config ${shellWord(configFile)}\`)\n` });
    expect(unknown.stderr).not.toMatch(STACK_FRAME);
    expect(held(ids[0]!)).toBe(true);
  });

  it('releases the one named, then the rest, and says so', async () => {
    const one = await operator(['release', ids[0]!]);
    expect(one).toMatchObject({ code: 0, stderr: '' });
    expect(one.stdout).toBe(`request ${ids[0]} is released (the daemon is not running: their work goes on when it starts); 2 still held\n`);
    expect(held(ids[0]!)).toBe(false);
    expect((await operator(['release', ids[0]!])).stderr).toBe(`signrelay: request ${ids[0]} is not held (see \`signrelay requests --held --config ${shellWord(configFile)}\`)\n`);
    const rest = JSON.parse((await operator(['release', '--all', '--json'])).stdout) as { released: string[]; held: number };
    expect(rest.released.sort()).toEqual(ids.slice(1).sort());
    expect(rest.held).toBe(0);
    expect((await operator(['release', '--all'])).stdout).toBe('no request was held\n');
    expect((await operator(['status'])).stdout).not.toMatch(/held/);
    expect((await operator(['show', ids[1]!])).stdout).toMatch(/released by an operator after a restore/);
  });
});
