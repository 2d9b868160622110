// The validation route (an instructor proving a scenario file sound) with a hostile scenario file:
// the engine's fixture (packages/engine/test/hostile-scenario.yaml, whose steps and checks try to
// read the server's data directory and database, kill processes, add namespaces and addresses).
// The proof comes back sound; nothing of the server or the machine was read or changed. Prefix pbshx-.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHILD_ENV, listNamespaces, run } from '@patchbay/kernel';
import type { ValidationProof } from '@patchbay/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, auth, testLab, type TestServer } from './test-support.js';

const PREFIX = 'pbshx-';
const SECRET = 'pbshx-secret-51c0de';
const TMP_SENTINEL = '/tmp/pbshx-sentinel';
const FIXTURE = join(import.meta.dirname, '../../../packages/engine/test/hostile-scenario.yaml');
const lab = testLab(PREFIX);
const DATA_SENTINEL = join(lab.dataDir, 'sentinel');
let s: TestServer;
let victim: ChildProcess | undefined;
let rootBefore = '';
let printkBefore = '';

const rootState = async () =>
  (await Promise.all([run('ip', ['-br', 'link']), run('ip', ['-br', 'addr']), run('ip', ['route'])]))
    .map((r) => r.stdout)
    .join('\n');
const printk = () => readFileSync('/proc/sys/kernel/printk_ratelimit', 'utf8').trim();

beforeAll(async () => {
  s = await lab.server();
  for (const f of [TMP_SENTINEL, DATA_SENTINEL]) writeFileSync(f, SECRET, { mode: 0o600 });
  victim = spawn('sleep', ['1000'], { env: { ...CHILD_ENV }, stdio: 'ignore' });
  rootBefore = await rootState();
  printkBefore = printk();
});
afterAll(async () => {
  if (victim?.pid && victim.exitCode === null) victim.kill('SIGKILL');
  if (printk() !== printkBefore) writeFileSync('/proc/sys/kernel/printk_ratelimit', printkBefore);
  rmSync(TMP_SENTINEL, { force: true });
  await lab.cleanup();
});

describe('POST /api/scenarios/validate with a hostile scenario file', () => {
  it('proves it sound, and it read and changed nothing outside its lab', async () => {
    const db = join(lab.dataDir, 'patchbay.db');
    const dbBefore = statSync(db).size;
    const text = readFileSync(FIXTURE, 'utf8')
      .replaceAll('@DATA@', lab.dataDir)
      .replaceAll('@SENTINEL@', TMP_SENTINEL)
      .replaceAll('@VICTIM@', String(victim!.pid))
      .replaceAll('@PRINTK@', String(Number(printkBefore) + 1));
    const r = await s.app.inject({ method: 'POST', url: '/api/scenarios/validate', headers: auth, payload: { text } });
    expect(r.statusCode, r.body).toBe(200);
    const proof = r.json<ValidationProof>();
    const why = proof.stages.map((st) => `${st.stage}: ${st.ok ? 'ok' : 'FAILED'} — ${st.detail}`).join('\n');
    expect(proof.sound, why).toBe(true);
    // what came back held nothing secret: no sentinel, no token, no database
    expect(r.body).toContain('pbhx-attempts-ran');
    expect(r.body).not.toContain(SECRET);
    expect(r.body).not.toContain(TOKEN);
    expect(r.body).not.toContain('SQLite format');
    expect(r.body).toContain('/etc/shadow: No such file or directory');
    // and nothing changed
    for (const f of [TMP_SENTINEL, DATA_SENTINEL]) expect(readFileSync(f, 'utf8')).toBe(SECRET);
    expect(statSync(db).size).toBe(dbBefore);
    expect(victim!.exitCode).toBeNull();
    expect(printk()).toBe(printkBefore);
    expect(await rootState()).toBe(rootBefore);
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await listNamespaces('pbhx-evil')).toEqual([]);
    expect((await s.app.inject({ method: 'GET', url: '/api/labs', headers: auth })).json()).toMatchObject({ labs: [] });
  }, 180_000);
});
