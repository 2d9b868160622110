// The editor's routes against the real kernel (app.inject): drafts (CRUD, validation, limits, restart),
// the examples gallery, the `ip` script, dry-run applies, and the public web app with its SPA fallback.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listNamespaces } from '@patchbay/kernel';
import { parseLabText } from '@patchbay/topology';
import { auth, exampleText, testLab, type TestLab, type TestServer } from './test-support.js';

const REPO_EXAMPLES = join(import.meta.dirname, '../../../examples');
const WEB_INDEX = join(import.meta.dirname, '../../web/dist/index.html');

const lab = testLab('pbs6-');
let s: TestServer;

beforeAll(async () => {
  s = await lab.server();
});
afterAll(async () => {
  await lab.cleanup();
  expect(await listNamespaces('pbs6-')).toEqual([]);
});

/** A raw HTTP request (app.inject and fetch would resolve `..` in the path before it is sent). */
async function raw(method: string, path: string, body: string): Promise<{ status: number; body: string }> {
  if (!s.app.server.listening) await s.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = s.app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { ...auth, 'content-type': 'application/json' } },
      (res) => {
        let data = '';
        res
          .on('data', (c: Buffer) => (data += c.toString()))
          .on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject).end(body);
  });
}

const twoContainers = () => parseLabText(exampleText('two-containers.yaml')).lab!;

describe('drafts', () => {
  const document = { name: 'x', nodes: { bad: { kind: 'nope' } } }; // not a valid lab: drafts may be anything
  const layout = { positions: { a: { x: 1, y: 2 } } };

  it('saves, returns, lists and deletes a draft, valid or not', async () => {
    const put = await s.app.inject({
      method: 'PUT',
      url: '/api/drafts/sketch',
      headers: auth,
      payload: { document, layout },
    });
    expect(put.statusCode, put.body).toBe(200);
    const { updatedAt } = put.json();
    expect(put.json()).toEqual({ name: 'sketch', updatedAt: new Date(updatedAt).toISOString() });

    const get = await s.app.inject({ method: 'GET', url: '/api/drafts/sketch', headers: auth });
    expect(get.statusCode).toBe(200);
    expect(get.json()).toEqual({ name: 'sketch', document, layout, updatedAt });

    const list = await s.app.inject({ method: 'GET', url: '/api/drafts', headers: auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().drafts).toContainEqual({ name: 'sketch', updatedAt });

    // Nothing of a draft reaches the kernel.
    expect(await listNamespaces(lab.prefix)).toEqual([]);

    const del = await s.app.inject({ method: 'DELETE', url: '/api/drafts/sketch', headers: auth });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    const gone = await s.app.inject({ method: 'GET', url: '/api/drafts/sketch', headers: auth });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ code: 'not-found' });
    const list2 = await s.app.inject({ method: 'GET', url: '/api/drafts', headers: auth });
    expect(list2.json().drafts.map((d: { name: string }) => d.name)).not.toContain('sketch');

    // Without a layout: layout null.
    expect(
      (await s.app.inject({ method: 'PUT', url: '/api/drafts/bare', headers: auth, payload: { document: 42 } }))
        .statusCode,
    ).toBe(200);
    expect((await s.app.inject({ method: 'GET', url: '/api/drafts/bare', headers: auth })).json()).toMatchObject({
      document: 42,
      layout: null,
    });
  });

  it('needs a token', async () => {
    for (const [method, url] of [
      ['GET', '/api/drafts'],
      ['GET', '/api/drafts/sketch'],
      ['PUT', '/api/drafts/sketch'],
      ['DELETE', '/api/drafts/sketch'],
    ] as const) {
      const r = await s.app.inject({ method, url, ...(method === 'PUT' ? { payload: { document, layout } } : {}) });
      expect(r.statusCode, `${method} ${url}`).toBe(401);
      expect(r.json()).toMatchObject({ code: 'unauthorized' });
    }
    const wrong = await s.app.inject({
      method: 'PUT',
      url: '/api/drafts/sketch',
      headers: { authorization: 'Bearer nope' },
      payload: { document },
    });
    expect(wrong.statusCode).toBe(401);
    expect(await s.store.drafts.get('sketch')).toBeUndefined();
  });

  it('refuses invalid names with 400', async () => {
    for (const bad of ['Bad%20Name', 'UPPER', '9starts-with-digit', 'a'.repeat(25)]) {
      const r = await s.app.inject({
        method: 'PUT',
        url: `/api/drafts/${bad}`,
        headers: auth,
        payload: { document, layout },
      });
      expect(r.statusCode, `${bad}: ${r.body}`).toBe(400);
      const g = await s.app.inject({ method: 'GET', url: `/api/drafts/${bad}`, headers: auth });
      expect(g.statusCode, bad).toBe(400);
    }
    for (const dots of ['..', '%2E%2E']) {
      const r = await raw('PUT', `/api/drafts/${dots}`, JSON.stringify({ document, layout }));
      expect(r.status, `${dots}: ${r.body}`).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({
        code: 'invalid',
        problems: [expect.objectContaining({ path: 'name' })],
      });
    }
    expect((await s.store.drafts.list()).map((d) => d.name)).toEqual(
      expect.not.arrayContaining(['Bad Name', '..', 'UPPER']),
    );
  });

  it('refuses a layout of the wrong shape, or extra fields, with 400 and problems', async () => {
    const bads: [unknown, RegExp][] = [
      [{ document, layout: { positions: { a: { x: '1', y: 2 } } } }, /^layout\.positions\.a/],
      [{ document, layout: { positions: { a: { x: 1 } } } }, /^layout\.positions\.a/],
      [{ document, layout: { positions: { a: { x: 1, y: 2, z: 3 } } } }, /^layout\.positions\.a/],
      [{ document, layout: { positions: [1, 2] } }, /^layout\.positions/],
      [{ document, layout: 'nope' }, /^layout/],
      [{ document, layout, extra: true }, /^$/],
    ];
    for (const [payload, path] of bads) {
      const r = await s.app.inject({
        method: 'PUT',
        url: '/api/drafts/shape',
        headers: auth,
        payload: payload as object,
      });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json(), JSON.stringify(payload)).toMatchObject({
        code: 'invalid',
        problems: expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(path) })]),
      });
    }
    expect(await s.store.drafts.get('shape')).toBeUndefined();
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const payload = JSON.stringify({ document: { name: 'big', description: 'x'.repeat(1024 * 1024 + 10) } });
    const r = await s.app.inject({
      method: 'PUT',
      url: '/api/drafts/big',
      headers: { ...auth, 'content-type': 'application/json' },
      payload,
    });
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ code: 'too-large' });
    expect(await s.store.drafts.get('big')).toBeUndefined();
  });

  it('survives a server restart', async () => {
    const put = await s.app.inject({
      method: 'PUT',
      url: '/api/drafts/keeper',
      headers: auth,
      payload: { document, layout },
    });
    expect(put.statusCode).toBe(200);
    const again = await lab.server(); // same data folder, fresh engine, store and app
    const get = await again.app.inject({ method: 'GET', url: '/api/drafts/keeper', headers: auth });
    expect(get.statusCode).toBe(200);
    expect(get.json()).toEqual({ name: 'keeper', document, layout, updatedAt: put.json().updatedAt });
  });
});

describe('examples', () => {
  it('lists every example file with its lab name, leading comment and text', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/examples', headers: auth });
    expect(r.statusCode).toBe(200);
    const examples: { file: string; name: string; description: string; text: string }[] = r.json().examples;
    const files = readdirSync(REPO_EXAMPLES)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(files.length).toBeGreaterThan(0);
    expect(examples.map((e) => e.file)).toEqual(files);
    for (const e of examples) {
      const text = readFileSync(join(REPO_EXAMPLES, e.file), 'utf8');
      expect(e.text).toBe(text);
      expect(e.name).toBe(parseLabText(text).lab!.name);
      const firstComment = text.split('\n')[0]!.replace(/^#\s?/, '');
      expect(text.startsWith('#')).toBe(true);
      expect(e.description.length).toBeGreaterThan(0);
      expect(e.description.startsWith(firstComment)).toBe(true);
      expect(e.description).not.toContain('\n');
    }
    expect(examples.find((e) => e.file === 'docker-bridge-nat.yaml')?.name).toBe('docker-bridge');
  });
});

describe('script', () => {
  it('answers the ip script of a document and creates nothing', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/api/script', headers: auth, payload: twoContainers() });
    expect(r.statusCode, r.body).toBe(200);
    const script: string = r.json().script;
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/sh');
    expect(lines).toContain('ip netns add pbs6-two-containers.ns-web  # owned by its own user namespace (nsowner.py)');
    expect(lines).toContain('ip netns add pbs6-two-containers.ns-db  # owned by its own user namespace (nsowner.py)');
    expect(lines).toContain('ip -n pbs6-two-containers._host link add br0 type bridge');
    expect(lines).toContain('ip -n pbs6-two-containers.ns-web addr add 192.168.100.10/24 dev veth-web');
    expect(lines).toContain('ip -n pbs6-two-containers.ns-db route replace default via 192.168.100.1');
    expect(
      lines.indexOf('ip netns add pbs6-two-containers.ns-web  # owned by its own user namespace (nsowner.py)'),
    ).toBeLessThan(lines.indexOf('ip -n pbs6-two-containers._host link add br0 type bridge'));
    expect(await listNamespaces(lab.prefix)).toEqual([]);
    expect((await s.app.inject({ method: 'GET', url: '/api/labs', headers: auth })).json().labs).toEqual([]);
  });

  it('answers 400 with problems for an invalid document', async () => {
    const r = await s.app.inject({
      method: 'POST',
      url: '/api/script',
      headers: auth,
      payload: { name: 'x', nodes: { bad: { kind: 'nope' } }, links: [] },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({
      code: 'invalid',
      problems: [{ path: 'nodes.bad.kind', code: 'schema.enum', message: expect.stringContaining('nope') }],
    });
    expect(await listNamespaces(lab.prefix)).toEqual([]);
  });
});

describe('dry run', () => {
  const put = (query = '') =>
    s.app.inject({ method: 'PUT', url: `/api/labs/two-containers${query}`, headers: auth, payload: twoContainers() });

  it('answers the plan and changes nothing; a real apply then builds it; a second dry run has no ops', async () => {
    const dry = await put('?dryRun=true');
    expect(dry.statusCode, dry.body).toBe(200);
    const body = dry.json();
    expect(body).toMatchObject({ lab: 'two-containers', dryRun: true, revision: 0 });
    expect(body.ops.length).toBeGreaterThan(0);
    for (const op of body.ops) expect(op.command).toEqual(expect.any(String));
    expect(body.ops.map((o: { command: string }) => o.command)).toContain(
      'ip netns add pbs6-two-containers.ns-web  # owned by its own user namespace (nsowner.py)',
    );
    expect(await listNamespaces(lab.prefix)).toEqual([]);
    expect((await s.app.inject({ method: 'GET', url: '/api/labs', headers: auth })).json().labs).toEqual([]);
    expect((await s.app.inject({ method: 'GET', url: '/api/labs/two-containers', headers: auth })).statusCode).toBe(
      404,
    );
    expect(await s.store.labs.get('two-containers')).toBeUndefined();

    const real = await put('?dryRun=false');
    expect(real.statusCode, real.body).toBe(200);
    expect(real.json()).toMatchObject({ dryRun: false, revision: 1 });
    expect(real.json().ops.length).toBe(body.ops.length);
    expect(await listNamespaces('pbs6-two-containers.')).toEqual(
      expect.arrayContaining(['pbs6-two-containers.ns-web', 'pbs6-two-containers.ns-db']),
    );

    const again = await put('?dryRun=true');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ dryRun: true, revision: 1, ops: [] });
  });

  it("answers the lab's warnings (valid, probably not meant) with the plan", async () => {
    const lab = twoContainers();
    expect(lab.links[0]!.a.addresses).toEqual(['192.168.100.10/24']);
    lab.links[1]!.a.addresses = ['192.168.100.20/24'];
    // ns-db gets a second interface whose subnet overlaps its first one's
    lab.nodes['ns-x'] = { kind: 'netns' };
    lab.links.push({
      a: { node: 'ns-db', interface: 'to-x', addresses: ['192.168.100.129/25'] },
      b: { node: 'ns-x', interface: 'to-db' },
    });
    const r = await s.app.inject({
      method: 'PUT',
      url: '/api/labs/two-containers?dryRun=true',
      headers: auth,
      payload: lab,
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().warnings).toEqual([
      {
        path: 'links[2].a.addresses[0]',
        code: 'addr.subnet-overlap',
        message: expect.stringContaining('192.168.100.0/24'),
      },
    ]);
    expect((await put('?dryRun=true')).json().warnings).toEqual([]);
  });

  it('refuses dryRun=maybe with 400', async () => {
    const r = await put('?dryRun=maybe');
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ problems: expect.any(Array) });
  });
});

describe('web app', () => {
  const built = existsSync(WEB_INDEX);

  it('serves / without a token as HTML', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    if (built) expect(r.body).toBe(readFileSync(WEB_INDEX, 'utf8'));
    else expect(r.body).toContain('not built');
  });

  it('still guards the API, the editor routes included', async () => {
    for (const url of ['/api/labs', '/api/examples'])
      expect((await s.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    // An address no route matches is a 404 (never index.html), answered without any token work.
    const none = await s.app.inject({ method: 'GET', url: '/api/no/such/route' });
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ code: 'not-found' });
    expect((await s.app.inject({ method: 'POST', url: '/api/script', payload: twoContainers() })).statusCode).toBe(401);
  });

  it("answers the app's own addresses without a token (index.html, or 404 JSON without a build)", async () => {
    const r = await s.app.inject({ method: 'GET', url: '/some/unknown/page' });
    expect(r.statusCode).not.toBe(401);
    if (built) {
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.body).toBe(readFileSync(WEB_INDEX, 'utf8'));
    } else {
      expect(r.statusCode).toBe(404);
      expect(r.json()).toEqual({ error: 'no route GET /some/unknown/page', code: 'not-found' });
    }
  });
});

describe('web app, built (PATCHBAY_WEB, read when web.ts loads: a fresh module graph)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-web-test-'));
  let web: TestLab | undefined;
  let w: TestServer;
  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'export {};\n');
    process.env['PATCHBAY_WEB'] = dir;
    vi.resetModules();
    web = (await import('./test-support.js')).testLab('pbs6-');
    w = await web.server();
  });
  afterAll(async () => {
    delete process.env['PATCHBAY_WEB'];
    await web?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the files without a token, index.html for app addresses, and still guards the API', async () => {
    const index = await w.app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode, index.body).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body).toBe('<!doctype html><title>app</title>');
    const asset = await w.app.inject({ method: 'GET', url: '/assets/app-1a2b.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const page = await w.app.inject({ method: 'GET', url: '/labs/two-containers/edit' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe(index.body);
    expect((await w.app.inject({ method: 'GET', url: '/api/labs' })).statusCode).toBe(401);
    expect((await w.app.inject({ method: 'GET', url: '/api/nope', headers: auth })).statusCode).toBe(404);
  });
});
