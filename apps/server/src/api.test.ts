// The REST API against the real kernel, through app.inject.
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInNamespace, listNamespaces, NETNS_DIR } from '@patchbay/kernel';
import { KERNEL_FEATURES, parseLabText } from '@patchbay/topology';
import { auth, exampleText, testLab, type TestServer } from './test-support.js';

const lab = testLab('pbs1-');
let s: TestServer;

beforeAll(async () => {
  s = await lab.server();
});
afterAll(async () => {
  await lab.cleanup();
});

async function ping(ns: string, ip: string): Promise<number> {
  let code = -1;
  for (let i = 0; i < 3 && code !== 0; i++)
    code = (await execInNamespace(ns, ['ping', '-n', '-c', '1', '-w', '2', ip], { stdio: 'pipe' })).code;
  return code;
}

describe('auth', () => {
  it('serves /api/health without a token', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ ok: true });
  });

  it("lists the kernel's features, available and missing, as the engine detected them", async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/kernel', headers: auth });
    expect(r.statusCode).toBe(200);
    const body = r.json<{ available: string[]; missing: { feature: string; description: string }[] }>();
    const have = await s.engine.kernelFeatures();
    expect(body.available.sort()).toEqual([...have].sort());
    expect([...body.available, ...body.missing.map((m) => m.feature)].sort()).toEqual([...KERNEL_FEATURES].sort());
    for (const m of body.missing) expect(m.description).toMatch(/\(/);
    expect((await s.app.inject({ method: 'GET', url: '/api/kernel' })).statusCode).toBe(401);
  });

  it('answers 401 without a token or with a wrong one', async () => {
    const none = await s.app.inject({ method: 'GET', url: '/api/labs' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'unauthorized', error: expect.stringContaining('Bearer') });
    const wrong = await s.app.inject({ method: 'GET', url: '/api/labs', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    const put = await s.app.inject({ method: 'PUT', url: '/api/labs/x', payload: { name: 'x', nodes: {}, links: [] } });
    expect(put.statusCode).toBe(401);
    expect(await listNamespaces(lab.prefix)).toEqual([]);
  });
});

describe('labs', () => {
  it('applies a YAML document, then answers with no ops the second time', async () => {
    const yaml = exampleText('two-containers.yaml');
    const r = await s.app.inject({
      method: 'PUT',
      url: '/api/labs/two-containers',
      headers: { ...auth, 'content-type': 'application/yaml' },
      payload: yaml,
    });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.lab).toBe('two-containers');
    expect(body.revision).toBe(1);
    expect(body.ops.length).toBeGreaterThan(0);
    expect(body.ops[0]).toEqual({
      phase: expect.any(String),
      kind: expect.any(String),
      action: 'add',
      subject: expect.objectContaining({ node: expect.any(String) }),
      reason: expect.any(String),
      command: expect.any(String),
    });
    expect(body.drift).toEqual([]);
    expect(await listNamespaces(`${lab.prefix}two-containers.`)).toEqual(
      expect.arrayContaining([`${lab.prefix}two-containers.ns-web`, `${lab.prefix}two-containers.ns-db`]),
    );
    expect(await ping(`${lab.prefix}two-containers.ns-web`, '192.168.100.20')).toBe(0);

    const again = await s.app.inject({
      method: 'PUT',
      url: '/api/labs/two-containers',
      headers: { ...auth, 'content-type': 'application/yaml' },
      payload: yaml,
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ lab: 'two-containers', revision: 1, ops: [] });
  });

  it('applies a JSON document', async () => {
    const doc = parseLabText(exampleText('routed-pods.yaml')).lab!;
    const r = await s.app.inject({ method: 'PUT', url: '/api/labs/routed-pods', headers: auth, payload: doc });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().ops.length).toBeGreaterThan(0);
    expect(await ping(`${lab.prefix}routed-pods.pod-a`, '10.0.2.2')).toBe(0);
  });

  it('lists labs, returns the document as applied, and the live state', async () => {
    const list = await s.app.inject({ method: 'GET', url: '/api/labs', headers: auth });
    expect(list.statusCode).toBe(200);
    expect(
      list
        .json()
        .labs.map((l: { name: string }) => l.name)
        .sort(),
    ).toEqual(['routed-pods', 'two-containers']);
    expect(list.json().labs[0]).toMatchObject({ health: 'ok', revision: 1 });

    const doc = await s.app.inject({ method: 'GET', url: '/api/labs/two-containers', headers: auth });
    expect(doc.statusCode).toBe(200);
    expect(doc.json()).toEqual(parseLabText(exampleText('two-containers.yaml')).lab);
    expect((await s.store.labs.get('two-containers'))?.document).toEqual(doc.json());

    const state = await s.app.inject({ method: 'GET', url: '/api/labs/two-containers/state', headers: auth });
    expect(state.statusCode).toBe(200);
    const nodes = state.json().nodes as { node: string; present: boolean }[];
    expect(nodes.map((n) => n.node).sort()).toEqual(expect.arrayContaining(['ns-db', 'ns-web']));
    expect(nodes.every((n) => n.present)).toBe(true);
    expect(state.json().bridges.length).toBe(1);

    const missing = await s.app.inject({ method: 'GET', url: '/api/labs/nope', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'not-found' });
  });

  it('refuses an invalid document with problems and changes nothing', async () => {
    const doc = parseLabText(exampleText('two-containers.yaml')).lab!;
    const bad = structuredClone(doc);
    bad.name = 'bad-lab';
    bad.links[0]!.a.addresses = ['192.168.100.300/24'];
    const r = await s.app.inject({ method: 'PUT', url: '/api/labs/bad-lab', headers: auth, payload: bad });
    expect(r.statusCode).toBe(400);
    expect(r.json().problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'links[0].a.addresses[0]',
          message: expect.any(String),
          code: expect.any(String),
        }),
      ]),
    );

    const shape = await s.app.inject({
      method: 'PUT',
      url: '/api/labs/bad-lab',
      headers: { ...auth, 'content-type': 'application/yaml' },
      payload: 'name: bad-lab\nnodes: {}\nlinks: []\nextra: 1\n',
    });
    expect(shape.statusCode).toBe(400);
    expect(shape.json().problems.length).toBeGreaterThan(0);

    const syntax = await s.app.inject({
      method: 'PUT',
      url: '/api/labs/bad-lab',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(syntax.statusCode).toBe(400);
    expect(syntax.json()).toMatchObject({
      error: expect.any(String),
      problems: [expect.objectContaining({ path: '' })],
    });

    expect(await listNamespaces(`${lab.prefix}bad-lab.`)).toEqual([]);
  });

  it('refuses a document whose name is not the address', async () => {
    const doc = parseLabText(exampleText('two-containers.yaml')).lab!;
    const r = await s.app.inject({ method: 'PUT', url: '/api/labs/other-name', headers: auth, payload: doc });
    expect(r.statusCode).toBe(400);
    expect(r.json().problems).toEqual([expect.objectContaining({ path: 'name', code: 'name.mismatch' })]);
    expect(await listNamespaces(`${lab.prefix}other-name.`)).toEqual([]);
  });

  it('refuses a bad lab name in the address', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/labs/..%2Fetc', headers: auth });
    expect(r.statusCode).toBe(400);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const big = `name: big\ndescription: "${'x'.repeat(1024 * 1024 + 10)}"\nnodes: {}\nlinks: []\n`;
    const r = await s.app.inject({
      method: 'PUT',
      url: '/api/labs/big',
      headers: { ...auth, 'content-type': 'application/yaml' },
      payload: big,
    });
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ code: 'too-large', error: expect.stringContaining('1 MiB') });
  });

  it('survives a restart: the document is still there and the namespaces were not recreated', async () => {
    const ns = `${lab.prefix}two-containers.ns-web`;
    const inode = statSync(`${NETNS_DIR}/${ns}`).ino;
    const again = await lab.server(); // same PATCHBAY_DATA, fresh engine and app
    const doc = await again.app.inject({ method: 'GET', url: '/api/labs/two-containers', headers: auth });
    expect(doc.statusCode).toBe(200);
    expect(doc.json().name).toBe('two-containers');
    expect(statSync(`${NETNS_DIR}/${ns}`).ino).toBe(inode);
    const put = await again.app.inject({
      method: 'PUT',
      url: '/api/labs/two-containers',
      headers: { ...auth, 'content-type': 'application/yaml' },
      payload: exampleText('two-containers.yaml'),
    });
    expect(put.json().ops).toEqual([]);
    expect(await ping(ns, '192.168.100.20')).toBe(0);
  });

  it('destroys a lab', async () => {
    const r = await s.app.inject({ method: 'DELETE', url: '/api/labs/two-containers', headers: auth });
    expect(r.statusCode).toBe(200);
    expect(r.json().removed).toContain(`${lab.prefix}two-containers.ns-web`);
    expect(await listNamespaces(`${lab.prefix}two-containers.`)).toEqual([]);
    expect(await s.store.labs.get('two-containers')).toBeUndefined();
    const gone = await s.app.inject({ method: 'DELETE', url: '/api/labs/two-containers', headers: auth });
    expect(gone.statusCode).toBe(404);
  });
});
