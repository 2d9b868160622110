// A plan is an ordered list of kernel operations. Each one carries the reason it exists and the
// equivalent command a person would type. (A failed apply is undone by planning back to the state
// observed before it, not by per-operation inverses: see the engine.) The kernel driver groups
// the operations of one stage, namespace and tool into a single process (`ip -batch -`,
// `bridge -batch -`, one `sysctl -w`, one `iptables-restore`).

import { fileCommand } from './dns-command.js';
import { type CniOpDetail, cniCommand } from './cni-command.js';
import { processCommand } from './run-command.js';

/** Phases in the order they run (grouped into STAGES); within a stage, namespaces run concurrently. */
export const PHASES = [
  'unprocess', // stop `run:` processes no longer wanted (before any namespace goes: run.ts)
  'uncni', // CNI DEL of attachments removed or changed, before their namespaces go (cni.ts)
  'unmacvlan', // delete macvlans no longer wanted, or whose parent goes (before any parent is deleted)
  'unlink', // delete links no longer wanted (or to be re-created)
  'unnamespace', // delete namespaces no longer wanted
  'namespace', // create namespaces
  'link', // create bridges and veth pairs (a veth is created from one end, its peer placed in the other namespace)
  'macvlan', // create macvlans in their parent's namespace, placed in their own (the parent exists by now)
  'unroute', // remove routes no longer wanted
  'unaddress', // remove addresses no longer wanted
  'mark', // ownership marker on lo, lo up
  'tunnel', // create VXLAN devices (they need their underlay device, maybe made by another namespace's `link`)
  'configure', // addrgenmode, mtu, mac, master, addresses, up/down
  'route', // add / replace routes
  'sysctl', // forwarding, proxy_arp
  'iptables', // NAT, port forwards, FORWARD policy; ebtables (bridge port anti-spoofing)
  'unfdb', // remove VXLAN flood entries no longer wanted
  'fdb', // VXLAN flood entries (head-end replication)
  'neigh', // forget neighbours' ARP entries for addresses with a new MAC (after the new owner is up)
  'cni', // CNI ADD of new or changed attachments (once every node is wired: cni.ts)
  'process', // start `run:` processes (once every node is wired: run.ts)
] as const;
export type Phase = (typeof PHASES)[number];

/**
 * Phases that run together: within a stage, each namespace's operations of one tool go to ONE
 * process, in phase order (so `configure` then `route` share an `ip -batch`), and namespaces run
 * concurrently. A stage starts when the previous one has finished everywhere, which is what
 * cross-namespace steps need (a veth's far end exists before it is configured; a VXLAN device's
 * underlay exists before the device). One process per namespace per stage keeps the fork count
 * near the hand-written `ip -batch` floor: removing and adding an address, or a route change,
 * is one process in one namespace.
 */
export const STAGES: readonly (readonly Phase[])[] = [
  ['unprocess'],
  ['uncni'],
  ['unmacvlan'],
  ['unlink'],
  ['unnamespace', 'namespace'],
  ['link'],
  ['macvlan'],
  ['unroute', 'unaddress', 'mark', 'tunnel', 'configure', 'route', 'sysctl', 'iptables'],
  ['unfdb', 'fdb', 'neigh'],
  ['cni'],
  ['process'],
];

/**
 * How an operation reaches the kernel:
 * - `netns`: a line of a root-mount-namespace `ip -batch -` (`netns add NAME` / `netns del NAME`);
 * - `ip` / `bridge`: a line of `ip -batch -` / `bridge -batch -` run inside `ns`;
 * - `sysctl`: one `key=value` for `sysctl -w` run inside `ns`;
 * - `iptables`: an `iptables-restore --noflush` input for `ns` (in `input`) rewriting the chains that differ;
 * - `ebtables`: a complete `ebtables-restore` input (the filter table) for `ns` (in `input`);
 * - `netlink`: a line of `ip -batch` syntax this iproute2 (6.1) does not know, carried out over
 *   rtnetlink by Patchbay's helper inside `ns` (today: `link set dev BR type bridge fdb_max_learned N`);
 * - `process`: a `run:` process started (`args`: start, key, command) or stopped in `ns`'s sandbox by
 *   the engine, not by executePlan (run.ts);
 * - `file`: a node's resolver file written (`args`: write, path; content in `input`) or removed by
 *   the engine (dns.ts).
 * - `cni`: a reference CNI plugin run (ADD or DEL) with the host node's namespace as its own, by the
 *   engine through the kernel driver, not by executePlan (cni.ts; `cni` holds the contract's parameters).
 */
export type Tool =
  | 'netns'
  | 'ip'
  | 'bridge'
  | 'sysctl'
  | 'iptables'
  | 'ebtables'
  | 'netlink'
  | 'process'
  | 'file'
  | 'cni';

export type OpKind =
  | 'namespace'
  | 'marker'
  | 'link'
  | 'address'
  | 'route'
  | 'sysctl'
  | 'fdb'
  | 'nat'
  | 'ebtables'
  | 'neigh'
  | 'process'
  | 'dns'
  | 'cni';

export interface Op {
  phase: Phase;
  tool: Tool;
  /** Namespace the operation runs in; "" for `netns` operations (they run in the machine's mount namespace). */
  ns: string;
  /** Tokens of the batch line (ip/bridge/netns) or the single `key=value` (sysctl). Never passed to a shell. */
  args: string[];
  /** stdin for `iptables` operations. */
  input?: string;
  /** `netns add` only: create it owned by its own user namespace (kernel helper nsowner.py). */
  owned?: boolean;
  kind: OpKind;
  /** `added`, `changed` or `removed`: what this does to the lab object. */
  action: 'add' | 'change' | 'remove';
  /** The lab object touched, in lab terms (node, interface…), for the editor and error messages. */
  subject: { node: string; iface?: string; detail?: string };
  /** Why this operation is needed, in words. */
  reason: string;
  /** Other namespaces this operation changes: the far end of a veth it creates or deletes. */
  alsoTouches?: string[];
  /** `process` stops: the recorded supervisor pid (shown in the command). */
  pid?: number;
  /** `cni` ops: the CNI contract's parameters (the config is `input`). */
  cni?: CniOpDetail;
}

export interface Plan {
  lab: string;
  ops: Op[];
}

/** The command a person would type for `op` (what `--dry-run` and the editor show). */
export function opCommand(op: Op): string {
  switch (op.tool) {
    case 'netns':
      // An owned namespace is made by Patchbay's helper; the comment says so, the line still reads as ip's.
      return op.owned
        ? `ip ${op.args.join(' ')}  # owned by its own user namespace (nsowner.py)`
        : `ip ${op.args.join(' ')}`;
    case 'ip':
      return `ip -n ${op.ns} ${op.args.join(' ')}`;
    case 'netlink':
      // What a newer iproute2 (6.8+) takes; this one lacks the keyword, so Patchbay says how it does it.
      return `ip -n ${op.ns} ${op.args.join(' ')}  # iproute2 6.1 lacks this keyword: Patchbay sets IFLA_BR_FDB_MAX_LEARNED over netlink (bridgeattr.py)`;
    case 'bridge':
      return `bridge -n ${op.ns} ${op.args.join(' ')}`;
    case 'sysctl':
      return `ip netns exec ${op.ns} sysctl -w ${op.args.join(' ')}`;
    case 'iptables':
      // args: the command and its flags (`iptables-restore --noflush`); none: a whole-table restore.
      return `ip netns exec ${op.ns} ${op.args.length ? op.args.join(' ') : 'iptables-restore'} <<'EOF'\n${(op.input ?? '').trimEnd()}\nEOF`;
    case 'ebtables':
      return `ip netns exec ${op.ns} ebtables-restore <<'EOF'\n${(op.input ?? '').trimEnd()}\nEOF`;
    case 'process':
      return processCommand(op);
    case 'file':
      return fileCommand(op);
    case 'cni':
      return cniCommand(op);
  }
}
