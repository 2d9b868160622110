// POST /api/labs/:name/why over HTTP against the real kernel: a reachable and a blocked answer in
// the WhyResult schema; bad questions (400 with problems), unknown labs and nodes (404); a student
// asks about their own lab only (403 otherwise), not at all in an exercise whose scenario says
// `why: false` (403 why-disabled, and the exercise view says so) while the instructor still may;
// one question per lab at a time (429 busy) and a student's questions per minute (429 rate-limited).
import type { ExerciseView, Joined, Session } from '@patchbay/protocol';
import { scenarioToYaml } from '@patchbay/scenarios';
import { builtinScenario } from '@patchbay/scenarios/library';
import { parseLabText, schemaErrors, WhyResultSchema, type WhyQuery, type WhyResult } from '@patchbay/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, exampleText, testLab, type TestServer } from './test-support.js';

const LAB = 'docker-bridge';

function ask(s: TestServer, lab: string, body: unknown, token?: string) {
  return s.app.inject({
    method: 'POST',
    url: `/api/labs/${lab}/why`,
    headers: token ? { authorization: `Bearer ${token}` } : auth,
    payload: body as object,
  });
}

function expectWhyResult(body: string): WhyResult {
  const result = JSON.parse(body) as WhyResult;
  expect(schemaErrors(WhyResultSchema, result)).toEqual([]);
  return result;
}

describe('POST /api/labs/:name/why', () => {
  const lab = testLab('pbwss-');
  let s: TestServer;
  /** A student of a session whose scenario leaves `why` out (allowed), and one whose scenario says `why: false`. */
  let open: Joined;
  let closed: Joined;

  async function join(scenario: { scenario: string } | { text: string }): Promise<Joined> {
    const created = await s.app.inject({ method: 'POST', url: '/api/sessions', headers: auth, payload: scenario });
    expect(created.statusCode, created.body).toBe(201);
    const { code } = created.json<Session>();
    const joined = await s.app.inject({ method: 'POST', url: '/api/join', payload: { code, name: 'Ada' } });
    expect(joined.statusCode, joined.body).toBe(200);
    return joined.json<Joined>();
  }

  beforeAll(async () => {
    s = await lab.server();
    await s.engine.apply(parseLabText(exampleText('docker-bridge-nat.yaml')).lab!);
    const linkDown = builtinScenario('link-down')!.scenario;
    open = await join({ scenario: 'link-down' });
    closed = await join({ text: scenarioToYaml({ ...linkDown, id: 'link-down-no-why', why: false }) });
  });
  afterAll(async () => {
    await lab.cleanup();
  });

  it('a reachable path: the WhyResult, hop by hop, with the masquerade', async () => {
    const r = await ask(s, LAB, { from: 'a', to: 'upstream', probe: false });
    expect(r.statusCode, r.body).toBe(200);
    const result = expectWhyResult(r.body);
    expect(result).toMatchObject({ lab: LAB, reachable: true, query: { src: '172.17.0.2', dst: '203.0.113.1' } });
    expect(result.blocked).toBeUndefined();
    expect(result.forward.map((h) => `${h.node} ${h.action}`)).toEqual([
      'a send',
      'docker0 switch',
      'host translate',
      'host route',
      'upstream deliver',
    ]);
    expect(result.reverse.at(-1)).toMatchObject({ node: 'a', action: 'deliver' });
  });

  it('a blocked path: 200 with reachable false, the node, the reason and a fix', async () => {
    const noRoute = await ask(s, LAB, { from: 'upstream', to: 'a', probe: false });
    expect(noRoute.statusCode, noRoute.body).toBe(200);
    expect(expectWhyResult(noRoute.body)).toMatchObject({
      reachable: false,
      blocked: { direction: 'forward', node: 'upstream', reason: 'no-route', fix: expect.any(String) },
    });
    // the student's own exercise lab: db's eth0 was left down
    const down = await ask(s, open.lab, { from: 'web', to: 'db', probe: false }, open.token);
    expect(down.statusCode, down.body).toBe(200);
    expect(expectWhyResult(down.body)).toMatchObject({ reachable: false, blocked: { reason: 'link-down' } });
  });

  it('400 for a bad question, with problems (the schema, or the engine), nothing read', async () => {
    const cases: [WhyQuery | Record<string, unknown>, string][] = [
      [{ from: 'a', to: 'upstream', port: 80 }, 'port'], // icmp has no port: the engine
      [{ from: 'a', to: 'upstream', proto: 'tcp' }, 'port'], // tcp needs one
      [{ from: 'a', to: '1.2.3' }, 'to'],
      [{ from: 'a', to: 'upstream', size: 5 }, 'size'], // the schema's minimum
      [{ from: 'a;reboot', to: 'upstream' }, 'from'],
      [{ from: 'a', to: 'upstream', extra: 1 }, ''],
      [{ to: 'upstream' }, ''],
    ];
    for (const [body, path] of cases) {
      const r = await ask(s, LAB, body);
      expect(r.statusCode, `${JSON.stringify(body)}: ${r.body}`).toBe(400);
      const problems = r.json<{ problems: { path: string }[] }>().problems;
      expect(problems.length, r.body).toBeGreaterThan(0);
      if (path) expect(problems.map((p) => p.path).join(' '), r.body).toContain(path);
    }
  });

  it('404 for an unknown lab or node', async () => {
    const noLab = await ask(s, 'no-such-lab', { from: 'a', to: 'b' });
    expect(noLab.statusCode, noLab.body).toBe(404);
    expect(noLab.json()).toMatchObject({ code: 'not-found', error: expect.stringContaining('no-such-lab') });
    const noNode = await ask(s, LAB, { from: 'a', to: 'nope' });
    expect(noNode.statusCode, noNode.body).toBe(404);
    expect(noNode.json()).toMatchObject({ code: 'not-found', error: 'lab docker-bridge has no node nope' });
  });

  it("403 for another student's lab, or a lab that is no student's", async () => {
    const other = await ask(s, closed.lab, { from: 'web', to: 'db' }, open.token);
    expect(other.statusCode, other.body).toBe(403);
    expect(other.json()).toMatchObject({ code: 'forbidden' });
    const instructors = await ask(s, LAB, { from: 'a', to: 'upstream' }, open.token);
    expect(instructors.statusCode, instructors.body).toBe(403);
  });

  it('403 why-disabled for a student when the scenario says why: false; the exercise view says so; an instructor may ask', async () => {
    const refused = await ask(s, closed.lab, { from: 'web', to: 'db', probe: false }, closed.token);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'why-disabled', error: expect.stringContaining('link-down-no-why') });
    const view = (token: string, name: string) =>
      s.app.inject({ method: 'GET', url: `/api/labs/${name}/exercise`, headers: { authorization: `Bearer ${token}` } });
    expect((await view(closed.token, closed.lab)).json<ExerciseView>().why).toBe(false);
    expect((await view(open.token, open.lab)).json<ExerciseView>().why).toBe(true);
    const asInstructor = (
      await s.app.inject({ method: 'GET', url: `/api/labs/${closed.lab}/exercise`, headers: auth })
    ).json<ExerciseView>();
    expect(asInstructor.why).toBe(true);
    const instructor = await ask(s, closed.lab, { from: 'web', to: 'db', probe: false });
    expect(instructor.statusCode, instructor.body).toBe(200);
    expect(expectWhyResult(instructor.body).blocked).toMatchObject({ node: 'db', reason: 'link-down' });
  });

  it("a student's fix is for their node's terminal; an instructor's for the machine", async () => {
    const student = await ask(s, open.lab, { from: 'web', to: 'db', probe: false }, open.token);
    expect(student.statusCode, student.body).toBe(200);
    const fix = expectWhyResult(student.body).blocked!.fix!;
    expect(fix).toContain('ip link set eth0 up');
    expect(fix).toContain('in the terminal of db');
    expect(fix).not.toMatch(/ip -n |ip netns exec /);
    const instructor = await ask(s, open.lab, { from: 'web', to: 'db', probe: false });
    expect(expectWhyResult(instructor.body).blocked!.fix).toMatch(/ip -n \S+\.db link set eth0 up/);
  });

  it('one question per lab at a time: a second while one runs is 429 busy; then the lab is free again', async () => {
    const both = await Promise.all([
      ask(s, LAB, { from: 'a', to: 'upstream', probe: false }),
      ask(s, LAB, { from: 'b', to: 'upstream', probe: false }),
    ]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 429]);
    const busy = both.find((r) => r.statusCode === 429)!;
    expect(busy.json()).toMatchObject({ code: 'busy', error: expect.stringContaining('docker-bridge') });
    expect(busy.headers['retry-after']).toBe('1');
    // another lab is not held up by it
    const [here, there] = await Promise.all([
      ask(s, LAB, { from: 'a', to: 'upstream', probe: false }),
      ask(s, open.lab, { from: 'web', to: 'db', probe: false }),
    ]);
    expect([here.statusCode, there.statusCode]).toEqual([200, 200]);
    expect((await ask(s, LAB, { from: 'b', to: 'upstream', probe: false })).statusCode).toBe(200);
  });
});

describe("a student's why questions per minute", () => {
  const lab = testLab('pbwsq-');
  let s: TestServer;
  const STUDENT = 'pbwsq-student-token-0123456789';
  beforeAll(async () => {
    s = await lab.server(undefined, { studentWhysPerMinute: 0.1, studentWhyBurst: 2 });
    await s.store.tokens.add(STUDENT, 'student', 'mine');
  });
  afterAll(async () => {
    await lab.cleanup();
  });

  it('are counted (any answer) and refused beyond the burst with 429 and retry-after; an instructor is not bound', async () => {
    const q = { from: 'a', to: 'b', probe: false };
    // the lab does not exist: each question is answered 404, and still counts
    expect((await ask(s, 'mine', q, STUDENT)).statusCode).toBe(404);
    expect((await ask(s, 'mine', q, STUDENT)).statusCode).toBe(404);
    const third = await ask(s, 'mine', q, STUDENT);
    expect(third.statusCode, third.body).toBe(429);
    expect(third.json()).toMatchObject({
      code: 'rate-limited',
      error: expect.stringMatching(/at most 0\.1 why questions a minute \(2 at once\); retry in \d+ s/),
    });
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) expect((await ask(s, 'mine', q)).statusCode).toBe(404);
  });
});
