// What infra/k8s.test.mjs asserts about the rendered Kubernetes manifests (infra/k8s/), as pure
// functions over the objects `kustomize build` prints: each returns the problems it finds (an empty
// list when the manifests are right), so the test can also prove that every check catches the
// mistake it is there for (a broken copy must give a problem).
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

/** @typedef {Record<string, any>} K8sObject  one object of the rendered output (apiVersion, kind, metadata, …) */

// ---- rendering -----------------------------------------------------------------------------------

/**
 * How to run kustomize here: a `kustomize` binary, or kubectl's built-in one when it is v4 or later
 * (the overlays use `labels`, `replicas` and `patches`, which the v2 inside Debian 12's own
 * kubectl 1.20 does not know). Undefined when neither is present.
 * @returns {{ argv: (dir: string) => string[], version: string } | undefined}
 */
export function findKustomize() {
  const standalone = spawnSync('kustomize', ['version'], { encoding: 'utf8' });
  if (standalone.status === 0) return { argv: (dir) => ['kustomize', 'build', dir], version: standalone.stdout.trim() };
  const kubectl = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (kubectl.status !== 0) return undefined;
  const version = JSON.parse(kubectl.stdout).kustomizeVersion ?? '';
  const major = Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
  return major >= 4 ? { argv: (dir) => ['kubectl', 'kustomize', dir], version } : undefined;
}

/**
 * The objects a kustomization renders to (throws with kustomize's message when it fails).
 * @param {{ argv: (dir: string) => string[] }} kustomize
 * @param {string} dir
 * @returns {K8sObject[]}
 */
export function render(kustomize, dir) {
  const [cmd, ...args] = kustomize.argv(dir);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error}`);
  return parseAllDocuments(r.stdout)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`unparsable output of ${dir}: ${doc.errors[0].message}`);
      return doc.toJS();
    })
    .filter((o) => o !== null);
}

// ---- picking objects -----------------------------------------------------------------------------

const WORKLOADS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);

/** @param {K8sObject[]} objects @param {string} component  the app.kubernetes.io/component label */
export function workloadsOf(objects, component) {
  return objects.filter(
    (o) => WORKLOADS.has(o.kind) && o.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'] === component,
  );
}

/** Whether `labels` satisfy a label selector's matchLabels (matchExpressions are not used here). */
export function selects(selector, labels) {
  const want = selector?.matchLabels ?? {};
  if (selector?.matchExpressions?.length) throw new Error('matchExpressions are not supported by these checks');
  return Object.entries(want).every(([k, v]) => labels?.[k] === v);
}

const name = (o) => `${o.kind}/${o.metadata?.name}`;
const containersOf = (w) => w.spec.template.spec.containers ?? [];

/** The port number a probe or a Service names, resolved against the container's ports. */
function portNumber(container, port) {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

// ---- the checks ----------------------------------------------------------------------------------

/** Every container of every workload: resource requests, and readiness and liveness probes. */
export function probesAndRequestsProblems(objects) {
  const problems = [];
  for (const w of objects.filter((o) => WORKLOADS.has(o.kind)))
    for (const c of containersOf(w)) {
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory)
        problems.push(`${name(w)} ${c.name}: no cpu and memory requests`);
      if (!c.readinessProbe) problems.push(`${name(w)} ${c.name}: no readiness probe`);
      if (!c.livenessProbe) problems.push(`${name(w)} ${c.name}: no liveness probe`);
    }
  return problems;
}

/**
 * A Patchbay container's probes are HTTP GETs of /api/health on one of its own ports — or, for an
 * agent whose API admits only clients with a certificate (mTLS: components/agent-mtls), curl in the
 * pod presenting one, to https://127.0.0.1:PORT/api/health.
 */
function healthProbeProblems(w, c) {
  const problems = [];
  for (const kind of ['readinessProbe', 'livenessProbe']) {
    const get = c[kind]?.httpGet;
    const exec = c[kind]?.exec?.command ?? [];
    const curled = exec[0] === 'curl' ? /^https:\/\/127\.0\.0\.1:(\d+)\/api\/health$/.exec(exec.at(-1) ?? '') : null;
    if (curled) {
      if (
        portNumber(c, Number(curled[1])) === undefined ||
        !(c.ports ?? []).some((p) => p.containerPort === Number(curled[1]))
      )
        problems.push(`${name(w)}: ${kind} names no port of the container`);
      if (!exec.includes('--cert')) problems.push(`${name(w)}: ${kind} presents no client certificate`);
    } else if (get?.path !== '/api/health') problems.push(`${name(w)}: ${kind} is not GET /api/health`);
    else if (portNumber(c, get.port) === undefined) problems.push(`${name(w)}: ${kind} names no port of the container`);
  }
  return problems;
}

/** The coordinators: a Deployment of 2+ replicas, `serve --no-local-agent`, health probes, unprivileged. */
export function coordinatorProblems(objects) {
  const coordinators = workloadsOf(objects, 'coordinator');
  if (coordinators.length !== 1) return [`expected one coordinator workload, found ${coordinators.length}`];
  const [d] = coordinators;
  const problems = [];
  if (d.kind !== 'Deployment') problems.push(`${name(d)}: the coordinator is not a Deployment`);
  if (!(d.spec.replicas >= 2)) problems.push(`${name(d)}: ${d.spec.replicas ?? 1} replica(s), needs 2 or more`);
  const [c] = containersOf(d);
  const line = [...(c.command ?? []), ...(c.args ?? [])];
  if (line[0] !== 'patchbay' || line[1] !== 'serve' || !line.includes('--no-local-agent'))
    problems.push(`${name(d)}: runs ${JSON.stringify(line)}, not \`patchbay serve … --no-local-agent\``);
  problems.push(...healthProbeProblems(d, c));
  if (c.securityContext?.privileged) problems.push(`${name(d)}: the coordinator is privileged`);
  if (!d.spec.template.spec.securityContext?.runAsNonRoot) problems.push(`${name(d)}: the coordinator may run as root`);
  return problems;
}

/** The Service, Ingress (cookie affinity) and PodDisruptionBudget all reach the coordinator pods. */
export function coordinatorFrontProblems(objects) {
  const [d] = workloadsOf(objects, 'coordinator');
  if (!d) return ['no coordinator workload'];
  const labels = d.spec.template.metadata.labels;
  const [c] = containersOf(d);
  const problems = [];
  const services = objects.filter((o) => o.kind === 'Service' && selects({ matchLabels: o.spec.selector }, labels));
  if (services.length === 0) problems.push('no Service selects the coordinator pods');
  for (const s of services)
    for (const p of s.spec.ports)
      if (portNumber(c, p.targetPort ?? p.port) === undefined)
        problems.push(`${name(s)}: targetPort ${p.targetPort} is no port of the coordinator`);
  const ingresses = objects.filter((o) => o.kind === 'Ingress');
  if (ingresses.length === 0) problems.push('no Ingress');
  for (const i of ingresses) {
    if (i.metadata.annotations?.['nginx.ingress.kubernetes.io/affinity'] !== 'cookie')
      problems.push(`${name(i)}: no cookie session affinity (socket.io's long-polling needs sticky sessions)`);
    for (const rule of i.spec.rules ?? [])
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service;
        if (!services.some((s) => s.metadata.name === backend?.name))
          problems.push(`${name(i)}: backend ${backend?.name} is not the coordinators' Service`);
      }
  }
  const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget' && selects(o.spec.selector, labels));
  if (pdbs.length === 0) problems.push('no PodDisruptionBudget for the coordinators');
  for (const p of pdbs)
    if (p.spec.minAvailable !== undefined && !(p.spec.minAvailable < d.spec.replicas))
      problems.push(`${name(p)}: minAvailable ${p.spec.minAvailable} would block every eviction`);
  return problems;
}

/**
 * The agents: privileged DaemonSets only on labelled nodes, host network off, /run/netns a host
 * folder with Bidirectional propagation, `patchbay agent --coordinator … --name "$NODE_NAME"` with
 * NODE_NAME the node's name, health probes; the draining variant adds `--drain` on its own label.
 */
export function agentProblems(objects) {
  const agents = workloadsOf(objects, 'agent');
  if (agents.length === 0) return ['no agent workload'];
  const problems = [];
  for (const ds of agents) {
    const spec = ds.spec.template.spec;
    const [c] = containersOf(ds);
    if (ds.kind !== 'DaemonSet') problems.push(`${name(ds)}: agents are not a DaemonSet`);
    if (c.securityContext?.privileged !== true) problems.push(`${name(ds)}: the agent is not privileged`);
    if (!spec.nodeSelector?.['patchbay/lab-host'])
      problems.push(`${name(ds)}: runs on every node (no lab-host nodeSelector)`);
    if (spec.hostNetwork) problems.push(`${name(ds)}: uses the node's network namespace`);
    const netns = c.volumeMounts?.find((m) => m.mountPath === '/run/netns');
    const volume = spec.volumes?.find((v) => v.name === netns?.name);
    if (netns?.mountPropagation !== 'Bidirectional' || !volume?.hostPath)
      problems.push(`${name(ds)}: /run/netns is not a host folder with Bidirectional propagation`);
    const script = [...(c.command ?? []), ...(c.args ?? [])].join(' ');
    // Kubernetes expands $(VAR) in command and args and reduces `$$` to `$`: a shell's `$$` breaks
    if (script.includes('$$')) problems.push(`${name(ds)}: \`$$\` in the command (Kubernetes turns it into \`$\`)`);
    if (!/exec patchbay agent --coordinator "\$PATCHBAY_COORDINATOR" --name "\$NODE_NAME"/.test(script))
      problems.push(`${name(ds)}: does not run \`patchbay agent --coordinator URL --name NODE\``);
    const nodeName = c.env?.find((e) => e.name === 'NODE_NAME');
    if (nodeName?.valueFrom?.fieldRef?.fieldPath !== 'spec.nodeName')
      problems.push(`${name(ds)}: NODE_NAME is not the node's name`);
    for (const v of ['PATCHBAY_PREFIX', 'PATCHBAY_DATA', 'PATCHBAY_AGENT_SECRET'])
      if (!c.env?.some((e) => e.name === v)) problems.push(`${name(ds)}: ${v} is not set`);
    // The coordinators dial the agent at the address it reports: its pod IP, on the agent port,
    // with the API listening on the pod's network (loopback, the default, reaches nobody).
    const env = (n) => c.env?.find((e) => e.name === n);
    const port = c.ports?.find((p) => p.name === 'agent')?.containerPort;
    if (env('PATCHBAY_AGENT_HOST')?.value !== '0.0.0.0')
      problems.push(`${name(ds)}: the agent API does not listen on the pod network (PATCHBAY_AGENT_HOST 0.0.0.0)`);
    if (
      env('POD_IP')?.valueFrom?.fieldRef?.fieldPath !== 'status.podIP' ||
      !['http', 'https'].some((s) => env('PATCHBAY_AGENT_ADVERTISE')?.value === `${s}://$(POD_IP):${port}`)
    )
      problems.push(`${name(ds)}: the agent does not advertise its pod IP and agent port (PATCHBAY_AGENT_ADVERTISE)`);
    problems.push(...healthProbeProblems(ds, c));
    const draining = spec.nodeSelector?.['patchbay/lab-host'] === 'draining';
    if (draining !== (c.args ?? []).includes('--drain'))
      problems.push(`${name(ds)}: --drain must be given exactly on the nodes labelled draining`);
  }
  const modes = new Set(agents.map((ds) => ds.spec.template.spec.nodeSelector?.['patchbay/lab-host']));
  if (modes.size !== agents.length) problems.push('two agent DaemonSets select the same nodes');
  return problems;
}

/**
 * Only coordinator pods reach the agents, and only on the agent's port: some NetworkPolicy selects
 * the agent pods for Ingress, and every ingress rule of every policy that selects them admits only
 * coordinator pods of this namespace (no namespace selector, no address block, no empty `from`,
 * which admits everyone) on the agent container's ports.
 */
export function agentNetworkPolicyProblems(objects) {
  const [agent] = workloadsOf(objects, 'agent');
  const [coordinator] = workloadsOf(objects, 'coordinator');
  if (!agent || !coordinator) return ['no agent or no coordinator workload'];
  const agentLabels = agent.spec.template.metadata.labels;
  const coordinatorLabels = coordinator.spec.template.metadata.labels;
  const agentPorts = new Set(containersOf(agent).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort)));
  const policies = objects.filter(
    (o) =>
      o.kind === 'NetworkPolicy' &&
      selects(o.spec.podSelector, agentLabels) &&
      (o.spec.policyTypes ?? ['Ingress']).includes('Ingress'),
  );
  if (policies.length === 0) return ['no NetworkPolicy restricts who reaches the agents'];
  const problems = [];
  for (const p of policies)
    for (const [i, rule] of (p.spec.ingress ?? []).entries()) {
      const where = `${name(p)} ingress[${i}]`;
      if (!rule.from?.length) problems.push(`${where}: admits every source`);
      for (const peer of rule.from ?? []) {
        if (peer.namespaceSelector || peer.ipBlock || !peer.podSelector)
          problems.push(`${where}: admits sources other than this namespace's pods`);
        else if (!selects(peer.podSelector, coordinatorLabels) || selects(peer.podSelector, agentLabels))
          problems.push(`${where}: admits pods that are not coordinators`);
      }
      if (!rule.ports?.length) problems.push(`${where}: admits every port`);
      for (const port of rule.ports ?? [])
        if (!agentPorts.has(port.port)) problems.push(`${where}: port ${port.port} is not the agent's`);
    }
  return problems;
}

const TLS_VARS = ['PATCHBAY_AGENT_TLS_CA', 'PATCHBAY_AGENT_TLS_CERT', 'PATCHBAY_AGENT_TLS_KEY'];

/**
 * mTLS between coordinators and agents (components/agent-mtls), when any workload sets
 * PATCHBAY_AGENT_TLS_*: both sides set all three, to files of a Secret volume they mount; the
 * coordinator listens on `--agent-port N`, a container port its Service exposes and
 * PATCHBAY_COORDINATOR dials over https; the agents advertise https and may reach that port.
 * Returns [] when nothing sets them (mTLS is optional).
 */
export function agentTlsProblems(objects) {
  const [coordinator] = workloadsOf(objects, 'coordinator');
  const agents = workloadsOf(objects, 'agent');
  const all = [coordinator, ...agents].filter(Boolean);
  if (!all.some((w) => containersOf(w)[0].env?.some((e) => TLS_VARS.includes(e.name)))) return [];
  const problems = [];
  for (const w of all) {
    const [c] = containersOf(w);
    const mounts = (c.volumeMounts ?? []).filter((m) =>
      w.spec.template.spec.volumes?.some((v) => v.name === m.name && v.secret?.secretName),
    );
    for (const v of TLS_VARS) {
      const file = c.env?.find((e) => e.name === v)?.value;
      if (!file) problems.push(`${name(w)}: ${v} is not set`);
      else if (!mounts.some((m) => file.startsWith(`${m.mountPath}/`)))
        problems.push(`${name(w)}: ${v} ${file} is not in a mounted Secret`);
    }
  }
  if (!coordinator) return problems;
  const [c] = containersOf(coordinator);
  const args = [...(c.command ?? []), ...(c.args ?? [])];
  const agentPort = Number(args[args.indexOf('--agent-port') + 1]);
  if (!args.includes('--agent-port') || !(c.ports ?? []).some((p) => p.containerPort === agentPort))
    problems.push(`${name(coordinator)}: no --agent-port that is a port of the container`);
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'patchbay-config');
  const url = new URL(config?.data?.PATCHBAY_COORDINATOR ?? 'http://none');
  if (url.protocol !== 'https:' || Number(url.port) !== agentPort)
    problems.push(`PATCHBAY_COORDINATOR ${url} is not https:// on the coordinators' agent port ${agentPort}`);
  for (const ds of agents) {
    const advertise = containersOf(ds)[0].env?.find((e) => e.name === 'PATCHBAY_AGENT_ADVERTISE')?.value ?? '';
    if (!advertise.startsWith('https://')) problems.push(`${name(ds)}: advertises ${advertise}, not https://`);
  }
  const agentLabels = agents[0]?.spec.template.metadata.labels;
  const egress = objects
    .filter((o) => o.kind === 'NetworkPolicy' && agentLabels && selects(o.spec.podSelector, agentLabels))
    .flatMap((o) => o.spec.egress ?? []);
  if (egress.length && !egress.some((r) => (r.ports ?? []).some((p) => p.port === agentPort)))
    problems.push(`the agents' NetworkPolicy lets them reach no port ${agentPort} (the coordinators' agent port)`);
  return problems;
}

/** Names of environment variables that carry a secret (passwords, tokens, URLs with credentials). */
const SECRET_ENV = /SECRET|TOKEN|PASSWORD|DATABASE|REDIS/;

/**
 * No secret is written in the manifests: no Secret object with data (a secretGenerator's output),
 * and every secret-carrying variable comes from a Secret (valueFrom.secretKeyRef), never a literal.
 * Returns the problems and every Secret key the pods read, for the docs check.
 */
export function secretProblems(objects) {
  const problems = [];
  /** @type {Set<string>} */
  const refs = new Set();
  for (const o of objects.filter((x) => x.kind === 'Secret'))
    if (Object.keys({ ...o.data, ...o.stringData }).length) problems.push(`${name(o)}: holds literal values`);
  for (const w of objects.filter((o) => WORKLOADS.has(o.kind)))
    for (const c of [...containersOf(w), ...(w.spec.template.spec.initContainers ?? [])]) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) refs.add(`${ref.name} ${ref.key}`);
        if (SECRET_ENV.test(e.name) && !ref) problems.push(`${name(w)} ${c.name}: ${e.name} is not read from a Secret`);
      }
      if (c.envFrom?.some((from) => from.secretRef === undefined && from.configMapRef === undefined))
        problems.push(`${name(w)} ${c.name}: unexpected envFrom source`);
    }
  for (const o of objects.filter((x) => x.kind === 'ConfigMap'))
    for (const key of Object.keys(o.data ?? {}))
      if (SECRET_ENV.test(key)) problems.push(`${name(o)}: ${key} belongs in a Secret`);
  return { problems, refs };
}

/** Every image names a fixed tag (or digest): never `latest`, never none. */
export function imageProblems(objects) {
  const problems = [];
  for (const w of objects.filter((o) => WORKLOADS.has(o.kind)))
    for (const c of containersOf(w)) {
      const tag = /@sha256:|:([^/:]+)$/.exec(c.image);
      if (!tag || tag[1] === 'latest') problems.push(`${name(w)} ${c.name}: image ${c.image} has no fixed tag`);
    }
  return problems;
}

/** The agents' dial-in URL is the coordinators' Service, and serve answers that host name. */
export function coordinatorUrlProblems(objects) {
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'patchbay-config');
  if (!config) return ['no ConfigMap patchbay-config'];
  const url = new URL(config.data.PATCHBAY_COORDINATOR);
  const service = objects.find((o) => o.kind === 'Service' && url.hostname.split('.')[0] === o.metadata.name);
  const problems = [];
  if (!service) problems.push(`PATCHBAY_COORDINATOR ${url} names no Service`);
  else if (!service.spec.ports.some((p) => String(p.port) === url.port))
    problems.push(`PATCHBAY_COORDINATOR ${url}: the Service has no port ${url.port}`);
  const allowed = config.data.PATCHBAY_ALLOWED_HOSTS.split(',');
  if (!allowed.includes(url.hostname))
    problems.push(`PATCHBAY_ALLOWED_HOSTS lacks ${url.hostname}: serve would refuse the agents' Host header`);
  for (const i of objects.filter((o) => o.kind === 'Ingress'))
    for (const rule of i.spec.rules ?? [])
      if (!allowed.includes(rule.host)) problems.push(`PATCHBAY_ALLOWED_HOSTS lacks the Ingress host ${rule.host}`);
  return problems;
}
