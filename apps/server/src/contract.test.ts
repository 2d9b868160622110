// The server serves exactly the protocol's route table: every route of the table is registered
// (with its method and path), every /api route registered is in the table, the OpenAPI document
// lists each with its status codes, and who may call a route is what the table's `access` says.
import { routes, type RouteDef } from '@patchbay/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, testLab, type TestServer } from './test-support.js';

const lab = testLab('pbs12-');
let s: TestServer;
const STUDENT = 'pbs12-student-token-0123456789';
const table = Object.entries(routes) as [string, RouteDef][];

beforeAll(async () => {
  s = await lab.server();
  await s.store.tokens.add(STUDENT, 'student', 'someone-else');
});
afterAll(async () => {
  await lab.cleanup();
});

/** The route's address with sample parameters that pass its schema. */
const sample = (path: string): string =>
  path
    .replace(':name', 'contract-lab')
    .replace(':id/pcap', '0123456789abcdef/pcap')
    .replace(':id', 'no-such-id')
    .replace(':student', 'no-such-student');

describe('the route table', () => {
  it('is what the server serves: every table route is registered, every /api route is in the table', () => {
    const fromTable = table.map(([, r]) => `${r.method} ${r.path}`).sort();
    expect(new Set(fromTable).size).toBe(fromTable.length);
    expect([...s.app.apiRoutes].sort()).toEqual(fromTable);
    for (const [name, r] of table) expect(s.app.hasRoute({ method: r.method, url: r.path }), name).toBe(true);
  });

  it('is what the OpenAPI document says, status codes included (hidden routes aside)', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: auth })).json<{
      paths: Record<string, Record<string, { responses: object }>>;
    }>();
    const shown = table.filter(([, r]) => !r.hide);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(shown.map(([, r]) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`).sort());
    for (const [name, r] of shown) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]![r.method.toLowerCase()]!;
      expect(Object.keys(op.responses).sort(), name).toEqual(Object.keys(r.response).sort());
    }
  });

  it("enforces each route's access: public needs no token, the others 401 without one; instructor and lab routes refuse another student's token", async () => {
    for (const [name, r] of table) {
      const url = sample(r.path);
      const bare = await s.app.inject({ method: r.method, url });
      if (r.access === 'public') expect(bare.statusCode, name).not.toBe(401);
      else expect(bare.statusCode, `${name} without a token`).toBe(401);
      if (r.access === 'instructor' || r.access === 'lab') {
        const body = r.method === 'POST' || r.method === 'PUT' ? { payload: {} } : {};
        const student = await s.app.inject({
          method: r.method,
          url,
          headers: { authorization: `Bearer ${STUDENT}` },
          ...body,
        });
        // A body the schema refuses answers 400 before the handler runs: that also changes nothing.
        expect([400, 403], `${name} with another lab's student token: ${student.statusCode} ${student.body}`).toContain(
          student.statusCode,
        );
      }
    }
  });

  it("POST /api/labs/:name/why: a valid question with another lab's student token is 403 (never read), none 401; its errors are documented", async () => {
    const url = sample(routes.whyLab.path);
    const payload = { from: 'a', to: 'b', probe: false };
    const student = await s.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${STUDENT}` },
      payload,
    });
    expect(student.statusCode, student.body).toBe(403);
    expect(student.json()).toMatchObject({ code: 'forbidden' });
    expect((await s.app.inject({ method: 'POST', url, payload })).statusCode).toBe(401);
    // the instructor's question about a lab that does not exist: 404, as the table says
    const missing = await s.app.inject({ method: 'POST', url, headers: auth, payload });
    expect(missing.statusCode, missing.body).toBe(404);
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: auth })).json<{
      paths: Record<string, Record<string, { responses: object; requestBody?: object }>>;
    }>();
    const op = doc.paths['/api/labs/{name}/why']!.post!;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '404', '429', '500']);
    expect(op.requestBody).toBeDefined();
  });
});
