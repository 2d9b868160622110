// More of the classroom against the real kernel (prefix pbs11-): the scenario library and its
// validation route, session and join errors, a lab started from a scenario outside any session,
// and a student's lab that went away (as the idle reaper does) and comes back with a reset.
import { startExercise } from '@patchbay/engine';
import { listNamespaces } from '@patchbay/kernel';
import type { Joined, Session, ValidationProof } from '@patchbay/protocol';
import { builtinScenario } from '@patchbay/scenarios/library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, testLab, type TestServer } from './test-support.js';

const PREFIX = 'pbs11-';
const lab = testLab(PREFIX);
let s: TestServer;
beforeAll(async () => {
  s = await lab.server({ exercises: { periodicMs: 600_000 } });
});
afterAll(async () => {
  await lab.cleanup();
});

const LINK_DOWN = builtinScenario('link-down')!.text;
const as = (token: string) => ({ authorization: `Bearer ${token}` });
const post = (url: string, payload?: object, headers: Record<string, string> = auth) =>
  s.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });
const get = (url: string, headers: Record<string, string> = auth) => s.app.inject({ method: 'GET', url, headers });
const join = (code: string, name: string) =>
  s.app.inject({ method: 'POST', url: '/api/join', payload: { code, name } });

describe('the scenario library', () => {
  it('lists the built-ins and gives one as its file', async () => {
    const list = await get('/api/scenarios');
    expect(list.statusCode).toBe(200);
    expect(list.json().scenarios).toContainEqual({
      id: 'link-down',
      title: expect.any(String),
      level: 'beginner',
      summary: expect.any(String),
      tags: expect.any(Array),
      checks: 3,
      hints: 2,
      checkList: [
        { id: 'db-eth0-up', title: expect.any(String), type: 'interface' },
        { id: 'web-to-db', title: expect.any(String), type: 'ping' },
        { id: 'bridge-learned-db', title: expect.any(String), type: 'fdb' },
      ],
    });
    const one = await get('/api/scenarios/link-down');
    expect(one.json()).toEqual({ id: 'link-down', text: LINK_DOWN });
    expect((await get('/api/scenarios/nope')).statusCode).toBe(404);
    expect((await get('/api/scenarios')).statusCode).toBe(200);
    expect((await s.app.inject({ method: 'GET', url: '/api/scenarios' })).statusCode).toBe(401);
  });

  it('proves link-down sound in a lab of its own, and leaves nothing behind', async () => {
    const r = await post('/api/scenarios/validate', { text: LINK_DOWN });
    expect(r.statusCode, r.body).toBe(200);
    const proof = r.json<ValidationProof>();
    expect(proof).toMatchObject({ scenario: 'link-down', lab: expect.stringMatching(/^v-[0-9a-f]{10}$/), sound: true });
    expect(proof.stages.map((st) => [st.stage, st.ok])).toEqual([
      ['fresh', true],
      ['solution', true],
      ['reset', true],
    ]);
    expect(proof.stages[1]!.steps).toEqual([{ node: 'db', run: 'ip link set eth0 up', code: 0, output: '' }]);
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await s.engine.list()).toEqual([]);
  });

  it('answers a broken file with its problems, and runs nothing', async () => {
    const broken = LINK_DOWN.replace('node: db, interface: eth0, up: true', 'node: nobody, interface: eth0, up: true');
    const r = await post('/api/scenarios/validate', { text: broken });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json()).toMatchObject({
      code: 'invalid',
      problems: [
        expect.objectContaining({
          path: expect.stringContaining('checks'),
          message: expect.stringContaining('nobody'),
        }),
      ],
    });
    const notYaml = await post('/api/scenarios/validate', { text: ': : :\n\t- [' });
    expect(notYaml.statusCode).toBe(400);
    expect(notYaml.json().problems.length).toBeGreaterThan(0);
    const byPath = await post('/api/scenarios/validate', {
      text: LINK_DOWN.replace(/^lab:\n(?: {2}.*\n)+/m, 'lab: ./lab.yaml\n'),
    });
    expect(byPath.statusCode).toBe(400);
    expect((await post('/api/scenarios/validate', { text: LINK_DOWN, extra: 1 })).statusCode).toBe(400);
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });
});

describe('sessions and joining', () => {
  let session: Session;
  beforeAll(async () => {
    session = (await post('/api/sessions', { text: LINK_DOWN })).json();
  });

  it('opens a session from a file; refuses neither, both, unknown and broken', async () => {
    expect(session).toMatchObject({ scenario: { id: 'link-down' }, students: [] });
    expect((await post('/api/sessions', {})).statusCode).toBe(400);
    expect((await post('/api/sessions', { scenario: 'link-down', text: LINK_DOWN })).statusCode).toBe(400);
    const unknown = await post('/api/sessions', { scenario: 'no-such' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().problems[0]).toMatchObject({ path: 'scenario' });
    expect((await post('/api/sessions', { text: 'id: x' })).statusCode).toBe(400);
    expect((await get('/api/sessions/nope')).statusCode).toBe(404);
    expect((await s.app.inject({ method: 'DELETE', url: '/api/sessions/nope', headers: auth })).statusCode).toBe(404);
  });

  it('refuses unknown codes, bad names and bad input; nobody joins', async () => {
    expect((await join('ZZZZ99', 'Ada')).statusCode).toBe(404);
    for (const name of ['   ', 'a\u0000b', 'x\u202ey', 'n'.repeat(41)]) {
      const r = await join(session.code, name);
      expect(r.statusCode, `${JSON.stringify(name)}: ${r.body}`).toBe(400);
      expect(r.json().problems[0]).toMatchObject({ path: 'name' });
    }
    for (const payload of [
      { code: 'ab', name: 'x' },
      { code: 'abc;rm -rf', name: 'x' },
      { code: session.code },
      { code: session.code, name: 'x', extra: 1 },
    ]) {
      expect((await s.app.inject({ method: 'POST', url: '/api/join', payload })).statusCode).toBe(400);
    }
    expect((await get(`/api/sessions/${session.id}`)).json().students).toEqual([]);
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });

  it("a student's lab that went away says so, and a reset brings it back", async () => {
    const r = await join(session.code, 'Cleo');
    expect(r.statusCode, r.body).toBe(200);
    const cleo = r.json<Joined>();
    // As the idle reaper does: the lab is destroyed, the student stays.
    expect(
      (await s.app.inject({ method: 'DELETE', url: `/api/labs/${cleo.lab}`, headers: as(cleo.token) })).statusCode,
    ).toBe(200);
    expect(await listNamespaces(`${PREFIX}${cleo.lab}.`)).toEqual([]);
    const view = await get(`/api/labs/${cleo.lab}/exercise`, as(cleo.token));
    expect(view.statusCode).toBe(410);
    expect(view.json()).toMatchObject({ code: 'lab-gone', error: expect.stringContaining('reset') });
    expect((await post(`/api/labs/${cleo.lab}/checks`, undefined, as(cleo.token))).statusCode).toBe(410);
    const reset = await post(`/api/labs/${cleo.lab}/reset`, undefined, as(cleo.token));
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json()).toMatchObject({ lab: cleo.lab, trigger: 'reset', total: 3 });
    expect(await listNamespaces(`${PREFIX}${cleo.lab}.`)).toHaveLength(3);
    expect((await get(`/api/labs/${cleo.lab}/exercise`, as(cleo.token))).statusCode).toBe(200);
    const ended = await s.app.inject({ method: 'DELETE', url: `/api/sessions/${session.id}`, headers: auth });
    expect(ended.json()).toEqual({ id: session.id, destroyed: [cleo.lab] });
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });
});

describe('a lab started from a scenario outside a session', () => {
  it('works with the exercise routes for the instructor', async () => {
    await startExercise(s.engine, builtinScenario('link-down')!.scenario, { lab: 'cli-ex' });
    try {
      const view = await get('/api/labs/cli-ex/exercise');
      expect(view.statusCode, view.body).toBe(200);
      expect(view.json()).toMatchObject({ lab: 'cli-ex', scenario: { id: 'link-down', hintCount: 2 }, hints: [] });
      expect(view.json().session).toBeUndefined();
      const run = await post('/api/labs/cli-ex/checks');
      expect(run.statusCode, run.body).toBe(200);
      expect(run.json()).toMatchObject({ lab: 'cli-ex', trigger: 'request', total: 3 });
      expect(run.json().passed).toBeLessThan(3);
      expect((await post('/api/labs/cli-ex/hints')).json().hints).toHaveLength(1);
      expect((await get('/api/labs/cli-ex/exercise')).json()).toMatchObject({
        hints: [expect.any(String)],
        lastRun: { trigger: 'request' },
      });
      expect((await post('/api/labs/cli-ex/reset')).json()).toMatchObject({ lab: 'cli-ex', trigger: 'reset' });
      // A lab with no exercise: 404.
      expect((await get('/api/labs/nothing-here/exercise')).statusCode).toBe(404);
    } finally {
      await s.app.inject({ method: 'DELETE', url: '/api/labs/cli-ex', headers: auth });
    }
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });

  it('documents every classroom route in OpenAPI', async () => {
    const paths = Object.keys((await get('/api/openapi.json')).json().paths as object);
    for (const p of [
      '/api/scenarios',
      '/api/scenarios/{id}',
      '/api/scenarios/validate',
      '/api/sessions',
      '/api/sessions/{id}',
      '/api/sessions/{id}/students/{student}/reset',
      '/api/sessions/{id}/students/{student}',
      '/api/join',
      '/api/labs/{name}/exercise',
      '/api/labs/{name}/checks',
      '/api/labs/{name}/hints',
      '/api/labs/{name}/reset',
    ]) {
      expect(paths, p).toContain(p);
    }
  });
});
