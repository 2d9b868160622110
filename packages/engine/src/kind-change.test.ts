// A node whose kind changes on a running lab gets a new namespace: what ran in the old one (a
// student's sandboxed shell) is ended first (`removing`), the namespace is deleted and made again
// with the ownership of its new kind (netns and router: their own user namespace; host: none), and
// configured, so traffic flows again. Real kernel, prefix pbkind-.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runInNamespace, spawnSandbox, userNamespacePath, type SandboxProcess } from '@patchbay/kernel';
import { ApplyError } from './converge-back.js';
import { parseLabText, type Lab } from '@patchbay/topology';
import type { RemovingEvent } from './lifecycle.js';
import { ping, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbkind-';
const NS = (node: string) => `${PREFIX}kinds.${node}`;

/** Node `a` (of the given kind) linked to netns `b`, plus a bridge in host `h` with netns `c` on it. */
function lab(aKind: 'netns' | 'router' | 'host'): Lab {
  const text = `name: kinds
nodes:
  a: { kind: ${aKind} }
  b: { kind: netns }
  h: { kind: host }
  sw: { kind: bridge, host: h }
  c: { kind: netns }
links:
  - a: { node: a, interface: eth0, addresses: [10.9.0.1/24] }
    b: { node: b, interface: eth0, addresses: [10.9.0.2/24] }
  - a: { node: c, interface: eth0, addresses: [10.9.1.2/24] }
    b: { node: sw, interface: p-c }
`;
  const { lab: parsed, problems } = parseLabText(text);
  if (!parsed || problems.length) throw new Error(JSON.stringify(problems));
  return parsed;
}

/**
 * The namespace's cookie (SO_NETNS_COOKIE): never reused, unlike its inode, which a namespace made
 * after the old one was freed may get again. A different cookie: a different namespace.
 */
async function namespaceCookie(ns: string): Promise<string> {
  const script =
    'import socket, struct; s = socket.socket(); print(struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 71, 8))[0])';
  const r = await runInNamespace(ns, 'python3', ['-c', script]);
  if (r.code !== 0) throw new Error(`netns cookie of ${ns}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A sandboxed shell in `ns` that stays until killed; resolves once it runs. */
async function shellIn(ns: string): Promise<{ shell: SandboxProcess; exited: Promise<unknown> }> {
  const shell = spawnSandbox(ns, { hostname: 'a', command: ['sh', '-c', 'echo ready; exec sleep 300'] });
  const exited = new Promise((resolve) => shell.child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    shell.child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    shell.child.once('exit', (code) => reject(new Error(`shell exited early: ${code}`)));
  });
  return { shell, exited };
}

/** Resolves when `exited` does, fails if the shell is still running after `ms`. */
function ended(exited: Promise<unknown>, ms = 5000): Promise<unknown> {
  return Promise.race([
    exited,
    new Promise((_, reject) => setTimeout(() => reject(new Error('the shell still runs in the old namespace')), ms)),
  ]);
}

let t: TestEngine | undefined;
const shells: SandboxProcess[] = [];
afterEach(async () => {
  for (const s of shells.splice(0)) await s.kill();
  await t?.engine.close();
  await t?.cleanup();
});

describe("a node's kind changes on a running lab", () => {
  it('netns → host → netns → router: a new namespace each time, shell ended, right ownership, traffic flows', async () => {
    t = testEngine(PREFIX);
    const removing: RemovingEvent[] = [];
    t.engine.on('removing', (e) => void removing.push(e));
    await t.engine.apply(lab('netns'));
    expect(existsSync(userNamespacePath(NS('a')))).toBe(true);
    expect(await ping(NS('a'), '10.9.0.2')).toBe(true);

    const { shell, exited } = await shellIn(NS('a'));
    shells.push(shell);
    let cookie = await namespaceCookie(NS('a'));
    const untouched = await namespaceCookie(NS('c'));

    // netns → host: the shell is ended, the namespace is new and not owned.
    const toHost = await t.engine.apply(lab('host'));
    expect(toHost.drift).toEqual([]);
    await ended(exited); // ended by the apply, not by this test
    expect(removing).toEqual([{ lab: 'kinds', namespaces: [NS('a')], reason: 'apply' }]);
    expect(await namespaceCookie(NS('a'))).not.toBe(cookie);
    expect(existsSync(userNamespacePath(NS('a')))).toBe(false);
    expect(await ping(NS('a'), '10.9.0.2')).toBe(true);
    expect(await ping(NS('b'), '10.9.0.1')).toBe(true);
    expect(await namespaceCookie(NS('c'))).toBe(untouched); // other nodes keep theirs
    expect((await t.engine.apply(lab('host'))).ops).toEqual([]); // converged

    // host → netns: new again, owned by its own user namespace.
    cookie = await namespaceCookie(NS('a'));
    expect((await t.engine.apply(lab('netns'))).drift).toEqual([]);
    expect(await namespaceCookie(NS('a'))).not.toBe(cookie);
    expect(existsSync(userNamespacePath(NS('a')))).toBe(true);
    expect(await ping(NS('a'), '10.9.0.2')).toBe(true);

    // netns → router: both owned, still a new namespace (a router is another machine).
    const second = await shellIn(NS('a'));
    shells.push(second.shell);
    cookie = await namespaceCookie(NS('a'));
    expect((await t.engine.apply(lab('router'))).drift).toEqual([]);
    await ended(second.exited);
    expect(await namespaceCookie(NS('a'))).not.toBe(cookie);
    expect(existsSync(userNamespacePath(NS('a')))).toBe(true);
    expect(await ping(NS('a'), '10.9.0.2')).toBe(true);
    expect((await t.engine.apply(lab('router'))).ops).toEqual([]);
  });

  it('a kind change that fails midway converges back: the node gets a namespace of its old kind again', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(lab('netns'));
    const cookie = await namespaceCookie(NS('a'));
    // Someone takes the ifindex the new veth's far end would get: the veth cannot be made.
    const err = await t.engine
      .apply(lab('host'), {
        onPlan: async (ops) => {
          const add = ops.find((o) => o.args[1] === 'add' && o.args.includes('peer'))!;
          const index = add.args[add.args.indexOf('peer') + 2]!;
          await runInNamespace(NS('b'), 'ip', ['link', 'add', 'x0', 'index', index, 'type', 'bridge']);
        },
      })
      .catch((e: unknown) => e);
    expect((err as ApplyError).failure?.error).toMatch(/exists|busy/i); // the index is taken
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as ApplyError).failure.rolledBack).toBe(true);
    expect(await namespaceCookie(NS('a'))).not.toBe(cookie); // it was replaced, and replaced back
    expect(existsSync(userNamespacePath(NS('a')))).toBe(true); // owned, as a netns is
    expect(await ping(NS('a'), '10.9.0.2')).toBe(true);
    expect(await t.engine.entry('kinds')).toMatchObject({ status: 'applied', revision: 1 });
    expect((await t.engine.apply(lab('netns'))).ops.filter((o) => o.tool === 'netns')).toEqual([]);
  });
});
