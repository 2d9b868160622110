// Commands run inside a lab's nodes: `patchbay exec` (one command, as root in the node's
// namespace) and `patchbay shell` (the student sandbox); shellTarget is where a terminal may open.
import { compile } from '@patchbay/topology';
import { execInNamespace, spawnSandbox, userNamespacePath } from '@patchbay/kernel';
import { existsSync } from 'node:fs';
import type { Engine } from './engine.js';
import { EngineError } from './errors.js';

/** Runs argv in a node's namespace (a bridge: its host's); resolves to the command's exit status. */
export async function execInNode(engine: Engine, name: string, node: string, argv: string[]): Promise<number> {
  const entry = await engine.entry(name);
  const lab = entry.lab ?? entry.pending!;
  if (!lab.nodes[node]) {
    throw new EngineError(
      'not-found',
      `lab ${name} has no node ${node} (nodes: ${Object.keys(lab.nodes).sort().join(', ')})`,
    );
  }
  if (argv.length === 0) throw new EngineError('invalid', 'no command given: patchbay exec NAME NODE -- CMD…');
  const ns = compile(lab, engine.prefix).names.nodeNamespace[node]!;
  const r = await execInNamespace(ns, argv, { stdio: 'inherit' });
  return r.code;
}

/**
 * Where a student shell may run: the namespace of a `netns` or `router` node, owned by its own user
 * namespace. Hosts and bridges hold bridges and tunnels: never given to a shell.
 */
export async function shellTarget(
  engine: Engine,
  name: string,
  node: string,
): Promise<{ ns: string; hostname: string }> {
  const entry = await engine.entry(name);
  const lab = entry.lab ?? entry.pending;
  if (!lab) throw new EngineError('not-found', `lab ${name} has never been applied`);
  const spec = lab.nodes[node];
  if (!spec)
    throw new EngineError(
      'not-found',
      `lab ${name} has no node ${node} (nodes: ${Object.keys(lab.nodes).sort().join(', ')})`,
    );
  if (spec.kind !== 'netns' && spec.kind !== 'router') {
    throw new EngineError(
      'invalid',
      `node ${node} is a ${spec.kind}: shells run in netns and router nodes (hosts and bridges hold the lab's bridges and tunnels)`,
    );
  }
  const ns = compile(lab, engine.prefix).names.nodeNamespace[node]!;
  if (!existsSync(userNamespacePath(ns))) {
    throw new EngineError(
      'conflict',
      `node ${node}'s namespace is not isolated (made before namespaces had their own user namespace): destroy the lab and apply it again`,
    );
  }
  return { ns, hostname: node };
}

/** `patchbay shell`: the student sandbox in a node, on this process's terminal (or stdin/stdout). Its exit status. */
export async function shellInNode(engine: Engine, name: string, node: string, command: string[] = []): Promise<number> {
  const { ns, hostname } = await shellTarget(engine, name, node);
  const limits = engine.sandboxLimits(name); // the lab's budget, shared with its terminals
  const sandbox = spawnSandbox(ns, { hostname, command, limits, stdio: ['inherit', 'inherit', 'inherit'] });
  return new Promise<number>((resolve) => {
    sandbox.child.once('error', () => resolve(127));
    sandbox.child.once('exit', (code, signal) => {
      void sandbox.kill().finally(() => resolve(code ?? (signal ? 128 + 9 : 1)));
    });
  });
}
