// NAT, port forwards and the FORWARD policy of one node, as the iptables tables it wants.
import { cidrNetwork } from './addr.js';
import { FILTER_CHAINS, NAT_CHAINS } from './iptables.js';
import type { NetNodeSpec } from './model.js';
import type { IptablesState } from './state.js';

/** undefined when the node asks for nothing (its tables are then left as the kernel has them). */
export function iptablesForNode(node: NetNodeSpec): IptablesState | undefined {
  const nat = node.nat ?? [];
  const forwards = node.portForwards ?? [];
  const policy = node.forwardPolicy ?? 'accept';
  if (nat.length === 0 && forwards.length === 0 && policy === 'accept') return undefined;

  // As Docker publishes a port: traffic to one of the node's own addresses on `port` (arriving, or
  // sent by the node itself) goes to `to`; traffic merely passing through the node is left alone.
  const match = (f: (typeof forwards)[number]) =>
    `-p ${f.proto} -m addrtype --dst-type LOCAL -m ${f.proto} --dport ${f.port} -j DNAT --to-destination ${f.to}`;
  const prerouting = forwards.map((f) => `-A PREROUTING ${match(f)}`);
  const output = forwards.map((f) => `-A OUTPUT ! -d 127.0.0.0/8 ${match(f)}`);
  const postrouting = nat.map((n) => {
    const out = n.out !== undefined ? `-o ${n.out}` : `! -o ${n.notOut}`;
    return `-A POSTROUTING -s ${cidrNetwork(n.masquerade) ?? n.masquerade} ${out} -j MASQUERADE`;
  });
  return {
    nat: [...NAT_CHAINS.map((c) => `:${c} ACCEPT`), ...prerouting, ...output, ...postrouting],
    filter: FILTER_CHAINS.map((c) => `:${c} ${c === 'FORWARD' && policy === 'drop' ? 'DROP' : 'ACCEPT'}`),
  };
}
