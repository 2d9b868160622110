// The argv of a CNI plugin call: nsenter into the HOST node's namespace (never the machine's), a
// clean environment with the contract's variables, the plugin's path; no shell, names checked.
import { describe, expect, it } from 'vitest';
import { cniArgv } from './cni.js';

const call = {
  command: 'ADD' as const,
  plugin: 'bridge' as const,
  hostNs: 'pb-lab.node1',
  containerNs: 'pb-lab.pod-a',
  ifname: 'eth0',
  containerId: 'pb-lab.pod-a',
  config: {},
};

describe('cniArgv', () => {
  it("runs the plugin in the host node's namespace with the CNI contract's environment only", () => {
    expect(cniArgv(call)).toEqual([
      '--net=/run/netns/pb-lab.node1',
      '--',
      'env',
      '-i',
      'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      'CNI_COMMAND=ADD',
      'CNI_CONTAINERID=pb-lab.pod-a',
      'CNI_NETNS=/run/netns/pb-lab.pod-a',
      'CNI_IFNAME=eth0',
      'CNI_PATH=/usr/lib/cni',
      '/usr/lib/cni/bridge',
    ]);
    expect(cniArgv({ ...call, command: 'CHECK' })).toContain('CNI_COMMAND=CHECK');
  });
  it('refuses what is not a plugin, a namespace, an interface or a container id', () => {
    expect(() => cniArgv({ ...call, plugin: '../../bin/sh' as 'bridge' })).toThrow(/unknown CNI plugin/);
    expect(() => cniArgv({ ...call, hostNs: '../x' })).toThrow(/invalid namespace name/);
    expect(() => cniArgv({ ...call, ifname: 'eth0 x' })).toThrow(/invalid interface name/);
    expect(() => cniArgv({ ...call, containerId: '-x' })).toThrow(/invalid CNI container id/);
  });
});
