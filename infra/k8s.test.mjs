// The Kubernetes manifests (infra/k8s/) as a cluster would get them: each overlay rendered by the
// real kustomize (kubectl's built-in one), every object validated against the Kubernetes API schemas
// (infra/k8s-schemas.mjs), and what a Patchbay install depends on checked object by object
// (infra/k8s-checks.mjs). No cluster is involved. Each check is also run on a copy broken the way it
// guards against, so that a check that can no longer fail fails here.
// Run by infra/test.sh (`vitest run --root infra`), with infra/lint.test.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  agentNetworkPolicyProblems,
  agentTlsProblems,
  agentProblems,
  coordinatorFrontProblems,
  coordinatorProblems,
  coordinatorUrlProblems,
  findKustomize,
  imageProblems,
  probesAndRequestsProblems,
  render,
  secretProblems,
  workloadsOf,
} from './k8s-checks.mjs';
import { schemaProblems, unknownFieldProblems } from './k8s-schemas.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const K8S = join(ROOT, 'infra', 'k8s');
const OVERLAYS = ['demo', 'production', 'production-mtls'];

const kustomize = findKustomize();
/** @type {Record<string, Record<string, any>[]>} */
const rendered = {};

// kustomize and the TypeScript check each take seconds on a busy 2-core machine.
beforeAll(() => {
  if (!kustomize)
    throw new Error(
      "no kustomize v4+: install kustomize, or a kubectl of 1.21 or later (`kubectl kustomize`; Debian 12's kubernetes-client 1.20 carries kustomize v2, too old for these overlays)",
    );
  for (const dir of ['base', ...OVERLAYS.map((o) => `overlays/${o}`)])
    rendered[dir] = render(kustomize, join(K8S, dir));
}, 60_000);

const copy = (dir) => structuredClone(rendered[dir]);
const agentOf = (objects) => workloadsOf(objects, 'agent').find((w) => !w.metadata.name.endsWith('-draining'));
const coordinatorOf = (objects) => workloadsOf(objects, 'coordinator')[0];

describe('the base renders, and every object is a valid Kubernetes API object', { timeout: 60_000 }, () => {
  it.each(['base', ...OVERLAYS.map((o) => `overlays/${o}`)])('%s', async (dir) => {
    expect(rendered[dir].length).toBeGreaterThan(5);
    expect(await schemaProblems(rendered[dir])).toEqual([]);
    expect(unknownFieldProblems(rendered[dir])).toEqual([]);
  });

  it('a wrong type and a misspelt field are refused', async () => {
    const objects = copy('overlays/demo');
    const agent = agentOf(objects);
    agent.spec.template.spec.containers[0].ports[0].containerPort = 'seven';
    expect(await schemaProblems(objects)).toEqual([
      expect.stringMatching(/DaemonSet\/patchbay-agent: .*must be integer/),
    ]);
    agent.spec.template.spec.containers[0].ports[0].containerPort = 7071;
    agent.spec.template.spec.containers[0].volumeMounts[0].mountPropogation = 'Bidirectional';
    expect(unknownFieldProblems(objects)).toEqual([
      expect.stringMatching(/DaemonSet\/patchbay-agent: .*'"mountPropogation"' does not exist in type 'IVolumeMount'/),
    ]);
    expect(await schemaProblems([{ apiVersion: 'v1', kind: 'Pods', metadata: { name: 'x' } }])).toEqual([
      'Pods/x: v1 Pods is not a Kubernetes API kind',
    ]);
  });
});

describe('the image', () => {
  // Not built here (no container runtime on the test machines): what it must hold is checked.
  it('installs every run-time package infra/setup.sh installs, and links the command', () => {
    const setup = readFileSync(join(ROOT, 'infra', 'setup.sh'), 'utf8');
    const listed = /^APT_PACKAGES=\(([^)]*)\)/m.exec(setup)[1].split(/\s+/).filter(Boolean);
    // for the tests and the build of native modules only
    // postgresql, redis-server: the tests' own throw-away servers (production points PATCHBAY_DATABASE
    // and PATCHBAY_REDIS at servers of its own)
    const notAtRunTime = new Set([
      'chromium',
      'fonts-dejavu-core',
      'g++',
      'make',
      'systemd',
      'postgresql',
      'redis-server',
      'openssl', // the mTLS tests' throw-away CA (operators make their certificates where they like)
    ]);
    const containerfile = readFileSync(join(ROOT, 'infra', 'container', 'Containerfile'), 'utf8');
    const runStage = containerfile.split(/^FROM /m).at(-1);
    const installed = /apt-get install -y --no-install-recommends \\\n([^&]*)&&/.exec(runStage)[1].split(/[\s\\]+/);
    expect(listed.length).toBeGreaterThan(10);
    expect(listed.filter((p) => !notAtRunTime.has(p) && !installed.includes(p))).toEqual([]);
    expect(runStage).toContain('exec node /opt/patchbay/apps/cli/dist/main.js');
    const cli = JSON.parse(readFileSync(join(ROOT, 'apps', 'cli', 'package.json'), 'utf8'));
    expect(cli.bin.patchbay).toBe('dist/main.js');
  });
});

describe.each(OVERLAYS)('overlays/%s', { timeout: 30_000 }, (overlay) => {
  const dir = `overlays/${overlay}`;

  it('coordinators: a Deployment of 2+ replicas running `patchbay serve --no-local-agent`, probed on /api/health', () => {
    expect(coordinatorProblems(rendered[dir])).toEqual([]);
    const objects = copy(dir);
    coordinatorOf(objects).spec.replicas = 1;
    coordinatorOf(objects).spec.template.spec.containers[0].args = ['serve'];
    delete coordinatorOf(objects).spec.template.spec.containers[0].readinessProbe;
    expect(coordinatorProblems(objects)).toEqual([
      expect.stringContaining('needs 2 or more'),
      expect.stringContaining('not `patchbay serve … --no-local-agent`'),
      expect.stringContaining('readinessProbe is not GET /api/health'),
    ]);
  });

  it('the Service, the sticky Ingress and the PodDisruptionBudget reach the coordinators', () => {
    expect(coordinatorFrontProblems(rendered[dir])).toEqual([]);
    const objects = copy(dir);
    const ingress = objects.find((o) => o.kind === 'Ingress');
    delete ingress.metadata.annotations['nginx.ingress.kubernetes.io/affinity'];
    objects.find((o) => o.kind === 'PodDisruptionBudget').spec.selector.matchLabels['app.kubernetes.io/component'] =
      'agent';
    expect(coordinatorFrontProblems(objects)).toEqual([
      expect.stringContaining('no cookie session affinity'),
      'no PodDisruptionBudget for the coordinators',
    ]);
  });

  it('agents: privileged DaemonSets on labelled lab nodes only, their own /run/netns, `patchbay agent --name NODE`', () => {
    expect(agentProblems(rendered[dir])).toEqual([]);
    expect(workloadsOf(rendered[dir], 'agent').map((w) => w.spec.template.spec.nodeSelector)).toEqual([
      { 'patchbay/lab-host': 'ready' },
      { 'patchbay/lab-host': 'draining' },
    ]);
    const objects = copy(dir);
    const spec = agentOf(objects).spec.template.spec;
    spec.containers[0].securityContext.privileged = false;
    delete spec.nodeSelector;
    spec.containers[0].volumeMounts.find((m) => m.mountPath === '/run/netns').mountPropagation = 'None';
    spec.containers[0].args = ['--drain'];
    spec.containers[0].command[2] = spec.containers[0].command[2].replace('echo 0', () => 'echo $$');
    spec.containers[0].env = spec.containers[0].env.filter((e) => !e.name.startsWith('PATCHBAY_AGENT_'));
    expect(agentProblems(objects)).toEqual([
      expect.stringContaining('is not privileged'),
      expect.stringContaining('no lab-host nodeSelector'),
      expect.stringContaining('/run/netns is not a host folder with Bidirectional propagation'),
      expect.stringContaining('`$$` in the command'),
      expect.stringContaining('PATCHBAY_AGENT_SECRET is not set'),
      expect.stringContaining('does not listen on the pod network'),
      expect.stringContaining('does not advertise its pod IP'),
      expect.stringContaining('--drain must be given exactly on the nodes labelled draining'),
    ]);
  });

  // The container's command as the node would run it: /bin/sh with the pod's environment and a
  // stand-in `patchbay` on the PATH that prints the words it got and where the shell moved itself.
  // In a mount namespace of its own with an empty tmpfs as /sys/fs/cgroup (nothing of the machine's
  // cgroups is touched), once as a cgroup v1 node and once as a v2 root (cgroup.controllers there).
  it.each([
    ['cgroup v1', false],
    ['cgroup v2', true],
  ])('the agent container runs `patchbay agent --coordinator URL --name NODE [--drain]` (%s)', (_, v2) => {
    const bin = mkdtempSync(join(tmpdir(), 'pb-agent-cmd-'));
    try {
      writeFileSync(
        join(bin, 'patchbay'),
        '#!/bin/sh\nfor a in "$@"; do echo "arg $a"; done\necho "cgroup $(cat /sys/fs/cgroup/agent/cgroup.procs 2>/dev/null || echo none)"\n',
        { mode: 0o755 },
      );
      const coordinator = rendered[dir].find((o) => o.kind === 'ConfigMap').data.PATCHBAY_COORDINATOR;
      const setup = `mount -t tmpfs pb-agent-cmd /sys/fs/cgroup && ${v2 ? 'touch /sys/fs/cgroup/cgroup.controllers && ' : ''}exec "$@"`;
      for (const ds of workloadsOf(rendered[dir], 'agent')) {
        const c = ds.spec.template.spec.containers[0];
        const r = spawnSync(
          'unshare',
          ['--mount', '--propagation', 'private', 'sh', '-c', setup, 'sh', ...c.command, ...(c.args ?? [])],
          {
            encoding: 'utf8',
            env: {
              PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
              NODE_NAME: 'lab-node-1',
              PATCHBAY_COORDINATOR: coordinator,
            },
          },
        );
        expect(r.status, r.stderr).toBe(0);
        const draining = ds.metadata.name.endsWith('-draining');
        expect(r.stdout.split('\n').filter(Boolean)).toEqual([
          ...['agent', '--coordinator', coordinator, '--name', 'lab-node-1', ...(draining ? ['--drain'] : [])].map(
            (a) => `arg ${a}`,
          ),
          v2 ? 'cgroup 0' : 'cgroup none',
        ]);
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('only coordinator pods reach the agents, and only on the agent port', () => {
    expect(agentNetworkPolicyProblems(rendered[dir])).toEqual([]);
    const rule = (objects) => objects.find((o) => o.metadata.name === 'patchbay-agent' && o.kind === 'NetworkPolicy');
    const open = copy(dir);
    delete rule(open).spec.ingress[0].from;
    expect(agentNetworkPolicyProblems(open)).toEqual([expect.stringContaining('admits every source')]);
    const wide = copy(dir);
    rule(wide).spec.ingress[0].from.push({ namespaceSelector: {} });
    rule(wide).spec.ingress[0].ports[0].port = 22;
    expect(agentNetworkPolicyProblems(wide)).toEqual([
      expect.stringContaining("admits sources other than this namespace's pods"),
      expect.stringContaining('port 22 is not the agent'),
    ]);
    const none = copy(dir).filter((o) => o.kind !== 'NetworkPolicy');
    expect(agentNetworkPolicyProblems(none)).toEqual(['no NetworkPolicy restricts who reaches the agents']);
  });

  it('mTLS (components/agent-mtls): both sides mount their certificates, agents dial the agent port over https', () => {
    expect(agentTlsProblems(rendered[dir])).toEqual([]);
    if (overlay !== 'production-mtls') return; // optional: the other overlays use the secret alone
    const objects = copy(dir);
    const coordinator = coordinatorOf(objects).spec.template.spec.containers[0];
    coordinator.args = coordinator.args.filter((a) => a !== '--agent-port' && a !== '7075');
    const agent = agentOf(objects).spec.template.spec.containers[0];
    agent.env = agent.env.filter((e) => e.name !== 'PATCHBAY_AGENT_TLS_KEY');
    agent.env.find((e) => e.name === 'PATCHBAY_AGENT_ADVERTISE').value = 'http://$(POD_IP):7071';
    delete agent.readinessProbe.exec.command[agent.readinessProbe.exec.command.indexOf('--cert')];
    expect(agentTlsProblems(objects)).toEqual([
      'DaemonSet/patchbay-agent: PATCHBAY_AGENT_TLS_KEY is not set',
      expect.stringContaining('no --agent-port'),
      expect.stringContaining("is not https:// on the coordinators' agent port"),
      'DaemonSet/patchbay-agent: advertises http://$(POD_IP):7071, not https://',
      expect.stringContaining('lets them reach no port'),
    ]);
    expect(agentProblems(objects)).toEqual([expect.stringContaining('readinessProbe presents no client certificate')]);
  });

  it('no secret is written in the manifests: secret variables come from Secrets the docs tell how to create', () => {
    const { problems, refs } = secretProblems(rendered[dir]);
    expect(problems).toEqual([]);
    expect(refs).toContain('patchbay-secrets agent-secret');
    expect(refs).toContain('patchbay-secrets admin-token');
    expect(refs).toContain('patchbay-secrets database-url');
    const deploy = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
    for (const ref of refs) {
      const [secret, key] = ref.split(' ');
      expect(deploy, `docs/deploy.md tells how to create ${secret}'s ${key}`).toMatch(
        new RegExp(`create secret generic ${secret}[^\`]*--from-literal=${key}=`),
      );
    }
    const leaked = copy(dir);
    leaked.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, stringData: { token: 'hunter2' } });
    coordinatorOf(leaked).spec.template.spec.containers[0].env.push({ name: 'PATCHBAY_ADMIN_TOKEN', value: 'abc' });
    expect(secretProblems(leaked).problems).toEqual([
      'Secret/x: holds literal values',
      expect.stringContaining('PATCHBAY_ADMIN_TOKEN is not read from a Secret'),
    ]);
  });

  it('every container has requests and probes, and every image a fixed tag', () => {
    expect(probesAndRequestsProblems(rendered[dir])).toEqual([]);
    expect(imageProblems(rendered[dir])).toEqual([]);
    const objects = copy(dir);
    coordinatorOf(objects).spec.template.spec.containers[0].image = 'registry.example.org/patchbay:latest';
    delete agentOf(objects).spec.template.spec.containers[0].livenessProbe;
    expect(imageProblems(objects)).toEqual([expect.stringContaining('has no fixed tag')]);
    expect(probesAndRequestsProblems(objects)).toEqual([expect.stringContaining('no liveness probe')]);
  });

  it("the agents' coordinator URL is the Service, and serve answers its host name and the Ingress's", () => {
    expect(coordinatorUrlProblems(rendered[dir])).toEqual([]);
    const objects = copy(dir);
    objects.find((o) => o.kind === 'ConfigMap').data.PATCHBAY_ALLOWED_HOSTS = 'patchbay-coordinator';
    expect(coordinatorUrlProblems(objects)).toEqual([
      expect.stringContaining('lacks patchbay-coordinator.patchbay.svc'),
      expect.stringContaining('lacks the Ingress host'),
    ]);
  });
});
