"""`ip -batch` lines carried out over rtnetlink (nlexec.py): the configure-stage shapes the planner
writes (packages/topology plan.ts), each encoded as iproute2 6.1 encodes it, so the kernel sees the
same request either way.

  link set dev DEV up | down | alias TEXT | addrgenmode none | mtu N | address MAC | master BR | nomaster
  link set dev BRIDGE type bridge fdb_max_learned N      (the `netlink` tool's line)
  link add NAME [index I] type bridge [stp_state 0|1] [vlan_filtering 0|1]
  link add NAME [index I] type veth peer [index J] name PEER [netns NS]
  link del dev DEV                                        (rtnl_linkdel.py: returns once the link is gone)
  addr add|del ADDR/LEN dev DEV [nodad]
  route add|replace|del DST [via GW] [dev DEV] [scope link]

`parse` turns a line into a closure, or raises Unsupported: a batch with any line this does not know
goes to `ip` whole, so a namespace's lines never run half one way and half the other.
"""
import ipaddress
import os
import re
import socket

import rtnl
import rtnl_linkdel
from rtnl import (AF_INET, AF_INET6, IFADDRMSG, IFINFOMSG, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTMSG,
                  RTM_DELADDR, RTM_DELROUTE, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE, attr, attr_u8, attr_u32,
                  nested)

IFF_UP = 0x1
IFLA_ADDRESS, IFLA_MTU, IFLA_MASTER, IFLA_IFALIAS, IFLA_AF_SPEC = 1, 4, 10, 20, 26
IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE = 8, 1
IFLA_LINKINFO, IFLA_INFO_KIND, IFLA_INFO_DATA = 18, 1, 2
IFLA_BR_FDB_MAX_LEARNED = 49  # Linux 6.8 (bridgeattr.py)
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS, IFA_F_NODAD = 1, 2, 8, 0x02
RTA_DST, RTA_OIF, RTA_GATEWAY = 1, 4, 5
RT_TABLE_MAIN, RTPROT_BOOT, RTN_UNICAST = 254, 3, 1
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST, RT_SCOPE_NOWHERE = 0, 253, 254, 255
MAX_ALIAS = 255


class Unsupported(Exception):
    """A line this executor does not carry out (the batch goes to `ip`)."""


class LineError(Exception):
    """A line that failed: the message `ip` would print for it."""


def ifindex(dev: str) -> int:
    # The caller has entered the namespace, so the ioctl behind this asks that namespace.
    try:
        return socket.if_nametoindex(dev)
    except OSError:
        raise LineError(f'Cannot find device "{dev}"') from None


def link_msg(dev: str, flags: int = 0, change: int = 0, *attrs: bytes) -> bytes:
    return IFINFOMSG.pack(0, 0, ifindex(dev), flags, change) + b"".join(attrs)


def parse_link_set(w: list):
    if len(w) < 5 or w[2] != "dev":
        raise Unsupported("link set without dev")
    dev, rest = w[3], w[4:]
    one = len(rest) == 1
    two = len(rest) == 2
    if one and rest[0] in ("up", "down"):
        up = rest[0] == "up"
        return lambda nl: nl.request(RTM_NEWLINK, 0, link_msg(dev, IFF_UP if up else 0, IFF_UP))
    if two and rest[0] == "alias":
        text = rest[1].encode()
        if len(text) > MAX_ALIAS:
            raise Unsupported("alias too long")
        return lambda nl: nl.request(RTM_NEWLINK, 0, link_msg(dev, 0, 0, attr(IFLA_IFALIAS, text)))
    if two and rest == ["addrgenmode", "none"]:
        spec = nested(IFLA_AF_SPEC, nested(AF_INET6, attr_u8(IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE)))
        return lambda nl: nl.request(RTM_NEWLINK, 0, link_msg(dev, 0, 0, spec))
    if two and rest[0] == "mtu" and rest[1].isdigit() and int(rest[1]) < 1 << 32:
        mtu = int(rest[1])
        return lambda nl: nl.request(RTM_NEWLINK, 0, link_msg(dev, 0, 0, attr_u32(IFLA_MTU, mtu)))
    if two and rest[0] == "address":
        parts = rest[1].split(":")
        if len(parts) != 6 or not all(len(p) == 2 for p in parts):
            raise Unsupported("address is not a MAC")
        try:
            mac = bytes(int(p, 16) for p in parts)
        except ValueError:
            raise Unsupported("address is not a MAC") from None
        return lambda nl: nl.request(RTM_NEWLINK, 0, link_msg(dev, 0, 0, attr(IFLA_ADDRESS, mac)))
    if two and rest[0] == "master":
        master = rest[1]
        return lambda nl: nl.request(RTM_NEWLINK, 0, link_msg(dev, 0, 0, attr_u32(IFLA_MASTER, ifindex(master))))
    if len(rest) == 4 and rest[:3] == ["type", "bridge", "fdb_max_learned"] and rest[3].isdigit():
        # The `netlink` tool's line (iproute2 6.1 lacks the keyword; bridgeattr.py is its other way).
        cap = int(rest[3])
        if cap >= 1 << 32:
            raise Unsupported("fdb_max_learned out of range")
        info = attr(IFLA_INFO_KIND, b"bridge\0") + nested(IFLA_INFO_DATA, attr_u32(IFLA_BR_FDB_MAX_LEARNED, cap))
        return lambda nl: nl.request(RTM_NEWLINK, 0, link_msg(dev, 0, 0, nested(IFLA_LINKINFO, info)))
    if one and rest[0] == "nomaster":
        return lambda nl: nl.request(RTM_NEWLINK, 0, link_msg(dev, 0, 0, attr_u32(IFLA_MASTER, 0)))
    raise Unsupported(f"link set {' '.join(rest)}")


IFLA_IFNAME, IFLA_NET_NS_FD = 3, 28
IFLA_BR_STP_STATE, IFLA_BR_VLAN_FILTERING = 5, 7
VETH_INFO_PEER = 1
NS_NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{0,80}$")  # as assertNamespaceName in src/process.ts
IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


def name_and_index(w: list, i: int):
    """NAME [index N] at w[i]: (name, index or 0, next position)."""
    if i >= len(w) or not IFNAME_RE.match(w[i]):
        raise Unsupported("link name")
    name, i = w[i], i + 1
    index = 0
    if w[i : i + 1] == ["index"]:
        if i + 1 >= len(w) or not w[i + 1].isdigit() or int(w[i + 1]) >= 1 << 31:
            raise Unsupported("index")
        index, i = int(w[i + 1]), i + 2
    return name, index, i


def parse_link_add(w: list):
    """`link add NAME [index I] type bridge [stp_state 0|1] [vlan_filtering 0|1]` and
    `link add NAME [index I] type veth peer [index J] name PEER [netns NS]`, as the planner writes them."""
    name, index, i = name_and_index(w, 2)
    if w[i : i + 1] != ["type"] or i + 1 >= len(w):
        raise Unsupported("link add without type")
    kind, rest = w[i + 1], w[i + 2 :]
    if kind == "bridge":
        data = b""
        if len(rest) % 2:
            raise Unsupported("bridge option without a value")
        for key, val in zip(rest[::2], rest[1::2]):
            if val not in ("0", "1") or key not in ("stp_state", "vlan_filtering"):
                raise Unsupported(f"bridge option {key}")
            data += attr_u32(IFLA_BR_STP_STATE, int(val)) if key == "stp_state" else attr_u8(
                IFLA_BR_VLAN_FILTERING, int(val))
        info = attr(IFLA_INFO_KIND, b"bridge\0") + (nested(IFLA_INFO_DATA, data) if data else b"")
        body = IFINFOMSG.pack(0, 0, index, 0, 0) + attr(IFLA_IFNAME, name.encode() + b"\0") + nested(
            IFLA_LINKINFO, info)
        return lambda nl: nl.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body)
    if kind != "veth" or rest[:1] != ["peer"]:
        raise Unsupported(f"link add type {kind}")
    j = 1
    peer_index = 0
    if rest[j : j + 1] == ["index"]:
        if j + 1 >= len(rest) or not rest[j + 1].isdigit() or int(rest[j + 1]) >= 1 << 31:
            raise Unsupported("peer index")
        peer_index, j = int(rest[j + 1]), j + 2
    if rest[j : j + 1] != ["name"] or j + 1 >= len(rest) or not IFNAME_RE.match(rest[j + 1]):
        raise Unsupported("veth peer without name")
    peer, tail = rest[j + 1], rest[j + 2 :]
    ns = None
    if tail[:1] == ["netns"] and len(tail) == 2 and NS_NAME_RE.match(tail[1]):
        ns = tail[1]
    elif tail:
        raise Unsupported(f"veth peer option {tail[0]}")

    def run(nl):
        fd = -1
        peer_attrs = attr(IFLA_IFNAME, peer.encode() + b"\0")
        try:
            if ns is not None:
                try:
                    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    raise LineError(f'Error: argument "{ns}" is wrong: Invalid "netns" value') from None
                peer_attrs += attr_u32(IFLA_NET_NS_FD, fd)
            peer_msg = IFINFOMSG.pack(0, 0, peer_index, 0, 0) + peer_attrs
            info = attr(IFLA_INFO_KIND, b"veth\0") + nested(IFLA_INFO_DATA, nested(VETH_INFO_PEER, peer_msg))
            body = IFINFOMSG.pack(0, 0, index, 0, 0) + attr(IFLA_IFNAME, name.encode() + b"\0") + nested(
                IFLA_LINKINFO, info)
            nl.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body)
        finally:
            if fd >= 0:
                os.close(fd)

    return run


def prefix(text: str):
    try:
        return ipaddress.ip_interface(text) if "/" in text else None
    except ValueError:
        return None


def default_scope(ip) -> int:
    # iproute2's default_scope(): loopback addresses are host-scoped, IPv6 link-local link-scoped.
    if ip.version == 4:
        return RT_SCOPE_HOST if ip.packed[0] == 127 else RT_SCOPE_UNIVERSE
    if ip == ipaddress.IPv6Address("::1"):
        return RT_SCOPE_HOST
    return RT_SCOPE_LINK if ip.is_link_local else RT_SCOPE_UNIVERSE


def parse_addr(w: list):
    verb = w[1]
    iface = prefix(w[2]) if len(w) > 2 else None
    tail = w[3:]
    nodad = tail[2:] == ["nodad"]
    if verb not in ("add", "del") or iface is None or tail[:1] != ["dev"] or len(tail) not in (2, 3):
        raise Unsupported("addr shape")
    if len(tail) == 3 and not (nodad and verb == "add"):
        raise Unsupported("addr option")
    dev, ip = tail[1], iface.ip
    family = AF_INET if ip.version == 4 else AF_INET6
    flags = IFA_F_NODAD if nodad else 0
    scope = default_scope(ip) if verb == "add" else 0
    attrs = attr(IFA_LOCAL, ip.packed) + attr(IFA_ADDRESS, ip.packed)
    if nodad:
        attrs += attr_u32(IFA_FLAGS, flags)
    kind = RTM_NEWADDR if verb == "add" else RTM_DELADDR
    nlflags = NLM_F_CREATE | NLM_F_EXCL if verb == "add" else 0
    plen = iface.network.prefixlen
    return lambda nl: nl.request(kind, nlflags, IFADDRMSG.pack(family, plen, flags, scope, ifindex(dev)) + attrs)


def parse_route(w: list):
    verb = w[1] if len(w) > 1 else ""
    if verb not in ("add", "replace", "del") or len(w) < 3:
        raise Unsupported("route shape")
    dst, opts = w[2], w[3:]
    via = dev = None
    scope_link = False
    i = 0
    while i < len(opts):
        key = opts[i]
        val = opts[i + 1] if i + 1 < len(opts) else None
        if key == "via" and val and via is None:
            via = val
        elif key == "dev" and val and dev is None:
            dev = val
        elif key == "scope" and val == "link":
            scope_link = True
        else:
            raise Unsupported(f"route option {key}")
        i += 2
    if dst == "default":
        net = None
    else:
        try:
            net = ipaddress.ip_network(dst, strict=True)
        except ValueError:
            raise Unsupported("route destination") from None
    try:
        gw = ipaddress.ip_address(via) if via else None
    except ValueError:
        raise Unsupported("route gateway") from None
    version = net.version if net else (gw.version if gw else 4)
    if gw and gw.version != version:
        raise Unsupported("gateway of another family (RTA_VIA)")
    family = AF_INET if version == 4 else AF_INET6
    if verb == "del":
        protocol, scope, rtype = 0, RT_SCOPE_NOWHERE, 0
    else:
        protocol, rtype = RTPROT_BOOT, RTN_UNICAST
        scope = RT_SCOPE_LINK if scope_link or (family == AF_INET and gw is None) else RT_SCOPE_UNIVERSE
    plen = net.prefixlen if net else 0
    attrs = attr(RTA_DST, net.network_address.packed) if net and plen else b""
    if gw:
        attrs += attr(RTA_GATEWAY, gw.packed)
    kind = RTM_DELROUTE if verb == "del" else RTM_NEWROUTE
    nlflags = {"add": NLM_F_CREATE | NLM_F_EXCL, "replace": NLM_F_CREATE | NLM_F_REPLACE, "del": 0}[verb]

    def run(nl):
        oif = attr_u32(RTA_OIF, ifindex(dev)) if dev else b""
        body = RTMSG.pack(family, plen, 0, 0, RT_TABLE_MAIN, protocol, scope, rtype, 0) + attrs + oif
        nl.request(kind, nlflags, body)

    return run


def parse_link_del(w: list):
    """`link del dev DEV`, as the planner writes it (iproute2 sends RTM_DELLINK with the index alone)."""
    if len(w) != 4 or w[2] != "dev" or not IFNAME_RE.match(w[3]):
        raise Unsupported("link del")
    dev = w[3]
    return lambda nl: rtnl_linkdel.delete_link(ifindex(dev))


def parse(line: str):
    """A line of an `ip -batch` (words separated by single spaces, as executePlan writes them)."""
    w = line.split()
    if len(w) >= 2 and w[0] == "link" and w[1] == "set":
        return parse_link_set(w)
    if len(w) >= 2 and w[0] == "link" and w[1] == "add":
        return parse_link_add(w)
    if len(w) >= 2 and w[0] == "link" and w[1] == "del":
        return parse_link_del(w)
    if len(w) >= 2 and w[0] == "addr":
        return parse_addr(w)
    if len(w) >= 2 and w[0] == "route":
        return parse_route(w)
    raise Unsupported(" ".join(w[:2]))


def run_lines(nl: "rtnl.Rtnl", steps: list) -> tuple:
    """Runs parsed lines in order, stopping at the first failure like `ip -batch` without -force.
    Returns (lines done, None) or (lines done, (1-based failing line, message))."""
    for i, step in enumerate(steps):
        try:
            step(nl)
        except (LineError, rtnl.NetlinkError) as e:
            return i, (i + 1, str(e))
    return len(steps), None
