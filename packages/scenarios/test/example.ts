// Shared test data: the SCENARIO-FORMAT.md example, filled in with the two-containers lab.

// The SCENARIO-FORMAT.md example, filled in with the two-containers lab where veth-db-br is down.
/** veth-db-br is down; ping web→db fails until `ip link set veth-db-br up` on br0. */
export const EXAMPLE = `id: forgot-link-up
title: "Network is unreachable"
level: beginner
summary: One end of a veth pair was never brought up.
instructions: |
  \`ns-web\` cannot reach \`ns-db\`. Find out why and fix it from a terminal.
tags: [veth, bridge]
lab:
  name: forgot-link-up
  nodes:
    br0: { kind: bridge, addresses: [192.168.100.1/24] }
    ns-web: { kind: netns, routes: [{ to: default, via: 192.168.100.1 }] }
    ns-db: { kind: netns, routes: [{ to: default, via: 192.168.100.1 }] }
  links:
    - a: { node: ns-web, interface: veth-web, addresses: [192.168.100.10/24] }
      b: { node: br0, interface: veth-web-br }
    - a: { node: ns-db, interface: veth-db, addresses: [192.168.100.20/24] }
      b: { node: br0, interface: veth-db-br, up: false }
checks:
  - id: web-to-db
    title: ns-web reaches ns-db
    type: ping
    from: ns-web
    to: 192.168.100.20
hints:
  - Compare \`ip link show\` on both ends of each veth pair. What does \`state DOWN\` mean?
solution:
  - { node: br0, run: "ip link set veth-db-br up" }
`;
