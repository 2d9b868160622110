// Labs and answers for the Why? view's tests, as the engine answered them on the kernel (a router
// between two namespaces, the reply lost for want of a route; the docker bridge with NAT).
import type { Lab, WhyResult } from '@patchbay/topology';

/** a — r — b; b has no route back to a's subnet. */
export const chainLab: Lab = {
  name: 'whyx',
  nodes: {
    a: { kind: 'netns', routes: [{ to: 'default', via: '10.0.1.1' }] },
    r: { kind: 'router' },
    b: { kind: 'netns' },
  },
  links: [
    {
      a: { node: 'a', interface: 'eth0', addresses: ['10.0.1.2/24'] },
      b: { node: 'r', interface: 'eth0', addresses: ['10.0.1.1/24'] },
    },
    {
      a: { node: 'r', interface: 'eth1', addresses: ['10.0.2.1/24'] },
      b: { node: 'b', interface: 'eth0', addresses: ['10.0.2.2/24'] },
    },
  ],
};

export const replyLost: WhyResult = {
  lab: 'whyx',
  query: { from: 'a', to: 'b', src: '10.0.1.2', dst: '10.0.2.2', proto: 'icmp', size: 84, df: false },
  reachable: false,
  forward: [
    { node: 'a', action: 'send', detail: 'via 10.0.1.1 dev eth0', out: 'eth0', src: '10.0.1.2', dst: '10.0.2.2' },
    {
      node: 'r',
      action: 'route',
      detail: '10.0.2.2 is on the link dev eth1',
      in: 'eth0',
      out: 'eth1',
      src: '10.0.1.2',
      dst: '10.0.2.2',
      commands: ['ip -n pbw-whyx.r route get 10.0.2.2 from 10.0.1.2 iif eth0 ipproto icmp'],
    },
    {
      node: 'b',
      action: 'deliver',
      detail: '10.0.2.2 is an address of b: delivered to its ICMP echo (the kernel answers)',
      in: 'eth0',
      src: '10.0.1.2',
      dst: '10.0.2.2',
    },
  ],
  reverse: [
    { node: 'b', action: 'drop', detail: 'b has no route to 10.0.1.2: the kernel answers "Network is unreachable"' },
  ],
  blocked: {
    direction: 'reverse',
    node: 'b',
    reason: 'no-route',
    detail: 'b has no route to 10.0.1.2: the kernel answers "Network is unreachable"',
    fix: 'add a route for 10.0.1.2 (ip -n pbw-whyx.b route add 10.0.1.2 via NEXT-HOP), or a default route',
  },
};

/** examples/docker-bridge-nat.yaml, reduced to what the answer passes. */
export const dockerLab: Lab = {
  name: 'docker-bridge',
  nodes: {
    host: { kind: 'host' },
    docker0: { kind: 'bridge', host: 'host', addresses: ['172.17.0.1/16'] },
    a: { kind: 'netns', routes: [{ to: 'default', via: '172.17.0.1' }] },
    upstream: { kind: 'netns' },
  },
  links: [
    { a: { node: 'a', interface: 'eth0', addresses: ['172.17.0.2/16'] }, b: { node: 'docker0', interface: 'veth-a' } },
    {
      a: { node: 'host', interface: 'eth0', addresses: ['203.0.113.10/24'] },
      b: { node: 'upstream', interface: 'eth0', addresses: ['203.0.113.1/24'] },
    },
  ],
};

export const natReachable: WhyResult = {
  lab: 'docker-bridge',
  query: { from: 'a', to: 'upstream', src: '172.17.0.2', dst: '203.0.113.1', proto: 'icmp', size: 84, df: false },
  reachable: true,
  forward: [
    {
      node: 'a',
      out: 'eth0',
      action: 'send',
      detail: 'via 172.17.0.1 dev eth0',
      src: '172.17.0.2',
      dst: '203.0.113.1',
    },
    {
      node: 'docker0',
      in: 'veth-a',
      action: 'switch',
      detail: "docker0 holds 172.17.0.1 itself: up to its host's IP stack",
    },
    {
      node: 'host',
      in: 'docker0',
      out: 'eth0',
      action: 'translate',
      detail: 'MASQUERADE in nat/POSTROUTING: 172.17.0.2 → 203.0.113.1 becomes 203.0.113.10 → 203.0.113.1',
      src: '203.0.113.10',
      dst: '203.0.113.1',
    },
    {
      node: 'host',
      in: 'docker0',
      out: 'eth0',
      action: 'route',
      detail: '203.0.113.1 is on the link dev eth0',
      src: '203.0.113.10',
      dst: '203.0.113.1',
    },
    {
      node: 'upstream',
      in: 'eth0',
      action: 'deliver',
      detail: '203.0.113.1 is an address of upstream',
      src: '203.0.113.10',
      dst: '203.0.113.1',
    },
  ],
  reverse: [
    {
      node: 'upstream',
      out: 'eth0',
      action: 'send',
      detail: '203.0.113.10 is on the link dev eth0',
      src: '203.0.113.1',
      dst: '203.0.113.10',
    },
    {
      node: 'host',
      in: 'eth0',
      action: 'translate',
      detail: "conntrack undoes the request's source translation",
      src: '203.0.113.1',
      dst: '172.17.0.2',
    },
    {
      node: 'host',
      in: 'eth0',
      out: 'docker0',
      action: 'route',
      detail: '172.17.0.2 is on the link dev docker0',
      src: '203.0.113.1',
      dst: '172.17.0.2',
    },
    { node: 'docker0', out: 'veth-a', action: 'switch', detail: 'flooded to every port; 172.17.0.2 is behind veth-a' },
    {
      node: 'a',
      in: 'eth0',
      action: 'deliver',
      detail: '172.17.0.2 is an address of a',
      src: '203.0.113.1',
      dst: '172.17.0.2',
    },
  ],
  probe: { reachable: true, agrees: true, detail: 'the echo reply came back.' },
};
