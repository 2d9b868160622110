#!/usr/bin/env python3
"""Decodes the rtnetlink change notifications nswatch.py receives into the objects they describe.

A notification carries the whole object it is about (an address, a route, a neighbour, a bridge
FDB entry), so a watcher that decodes it knows what changed without reading the namespace again
(no `ip -j` process). Objects are plain fields (numbers as the kernel sends them, addresses as
text, interfaces by ifindex): the caller (kernel/src/live-patch.ts) names interfaces from the state
it holds and writes them in iproute2's JSON shapes.

What is not decoded is counted as "opaque", and the caller reads the namespace instead:
- links (linkinfo, port flags, carrier: too much of iproute2's output to rebuild), rules, netconf;
- an address deleted (the kernel then drops dependent routes without any notification), and the
  deletion of a local route, the kernel's last message about an IPv4 address deleted: the messages
  of one deletion can reach the watcher in two reads (it wakes while the kernel still works, e.g.
  scanning a device's other addresses), and the read they ask for must come after the last;
- multipath routes, and any message too short to decode.

Run as a script, reads hex-encoded datagrams (one per line) on stdin and prints, for each, the JSON
of decode(): how the unit tests feed it captured message bytes.
"""
import ipaddress
import json
import struct
import sys

# The attribute walk and the message constants are rtnl.py's, shared with the executor's reads.
from rtnl import (AF_INET, AF_INET6, NLM_F_REPLACE, RTM_DELADDR, RTM_DELROUTE, RTM_NEWADDR, RTM_NEWLINK,
                  RTM_NEWROUTE, parse_attrs, u32)

RTM_DELLINK = 17
RTM_NEWNEIGH, RTM_DELNEIGH = 28, 29
AF_BRIDGE = 7
FAMILY = {AF_INET: "inet", AF_INET6: "inet6", AF_BRIDGE: "bridge"}

IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8
RTN_LOCAL = 2
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_MULTIPATH, RTA_TABLE, RTA_VIA = 1, 4, 5, 6, 7, 9, 15, 18
NDA_DST, NDA_LLADDR, NDA_VLAN, NDA_MASTER = 1, 2, 5, 9

# Objects of one datagram above this are not worth sending one by one: the caller reads instead.
MAX_OBJECTS = 512


def ip_text(raw: bytes) -> str | None:
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    if len(raw) == 16:
        return str(ipaddress.IPv6Address(raw))
    return None


def decode_addr(mtype: int, data: bytes, off: int, length: int) -> dict | None:
    # struct ifaddrmsg: family(1) prefixlen(1) flags(1) scope(1) index(4)
    if length < 24:
        return None
    family, prefixlen, flags8, scope, index = struct.unpack_from("=BBBBi", data, off + 16)
    if family not in (AF_INET, AF_INET6):
        return None
    a = parse_attrs(data, off + 24, off + length)
    local = ip_text(a.get(IFA_LOCAL) or a.get(IFA_ADDRESS) or b"")
    if local is None:
        return None
    flags = u32(a.get(IFA_FLAGS))
    return {
        "t": "addr",
        "op": "new" if mtype == RTM_NEWADDR else "del",
        "family": FAMILY[family],
        "ifindex": index,
        "local": local,
        "prefixlen": prefixlen,
        "scope": scope,
        "flags": flags if flags is not None else flags8,
    }


def decode_route(mtype: int, nlflags: int, data: bytes, off: int, length: int) -> dict | None:
    # struct rtmsg: family dst_len src_len tos table protocol scope type (1 each), flags(4)
    if length < 28:
        return None
    family, dst_len, src_len, tos, table, protocol, scope, rtype, flags = struct.unpack_from("=BBBBBBBBI", data, off + 16)
    if family not in (AF_INET, AF_INET6) or src_len or tos:
        return None  # source-specific and TOS routes: not shown apart by the views, read instead
    if mtype == RTM_DELROUTE and rtype == RTN_LOCAL:
        return None  # an address going away (see above): what follows it is silent, read after it
    a = parse_attrs(data, off + 28, off + length)
    if RTA_MULTIPATH in a or RTA_VIA in a:
        return None
    r = {
        "t": "route",
        "op": "new" if mtype == RTM_NEWROUTE else "del",
        "replace": bool(nlflags & NLM_F_REPLACE),
        "family": FAMILY[family],
        "dst_len": dst_len,
        "table": u32(a.get(RTA_TABLE)) if RTA_TABLE in a else table,
        "protocol": protocol,
        "scope": scope,
        "type": rtype,
        "flags": flags,
    }
    if RTA_DST in a:
        dst = ip_text(a[RTA_DST])
        if dst is None:
            return None
        r["dst"] = dst
    for key, name in ((RTA_GATEWAY, "gateway"), (RTA_PREFSRC, "prefsrc")):
        if key in a:
            r[name] = ip_text(a[key])
    if RTA_OIF in a:
        r["oif"] = u32(a[RTA_OIF])
    if RTA_PRIORITY in a:
        r["metric"] = u32(a[RTA_PRIORITY])
    return r


def decode_neigh(mtype: int, data: bytes, off: int, length: int) -> dict | None:
    # struct ndmsg: family(1) pad(3) ifindex(4) state(2) flags(1) type(1)
    if length < 28:
        return None
    family = data[off + 16]
    index, state, flags, ntype = struct.unpack_from("=iHBB", data, off + 20)
    if family not in (AF_INET, AF_INET6, AF_BRIDGE):
        return None
    a = parse_attrs(data, off + 28, off + length)
    n = {
        "t": "neigh",
        "op": "new" if mtype == RTM_NEWNEIGH else "del",
        "family": FAMILY[family],
        "ifindex": index,
        "state": state,
        "flags": flags,
    }
    if NDA_DST in a:
        dst = ip_text(a[NDA_DST])
        if dst is None:
            return None
        n["dst"] = dst
    if NDA_LLADDR in a:
        n["lladdr"] = ":".join(f"{b:02x}" for b in a[NDA_LLADDR])
    if NDA_VLAN in a and len(a[NDA_VLAN]) >= 2:
        n["vlan"] = struct.unpack("=H", a[NDA_VLAN][:2])[0]
    if NDA_MASTER in a:
        n["master"] = u32(a[NDA_MASTER])
    return n


def decode(data: bytes) -> tuple[list, int]:
    """(objects decoded from one datagram, messages that could not be). Link messages are opaque
    (the caller reads the namespace), and so is every message once MAX_OBJECTS is passed."""
    objects, opaque, off = [], 0, 0
    while off + 16 <= len(data):
        length, mtype, nlflags = struct.unpack_from("=IHH", data, off)
        if length < 16 or off + length > len(data):
            opaque += 1
            break
        obj = None
        if mtype in (RTM_NEWADDR,):
            obj = decode_addr(mtype, data, off, length)
        elif mtype in (RTM_NEWROUTE, RTM_DELROUTE):
            obj = decode_route(mtype, nlflags, data, off, length)
        elif mtype in (RTM_NEWNEIGH, RTM_DELNEIGH):
            obj = decode_neigh(mtype, data, off, length)
        if obj is None:
            opaque += 1
        else:
            objects.append(obj)
        off += (length + 3) & ~3
    if len(objects) > MAX_OBJECTS:
        return [], opaque + len(objects)
    return objects, opaque


if __name__ == "__main__":
    for line in sys.stdin:
        line = line.strip()
        if line:
            objs, opaque = decode(bytes.fromhex(line))
            print(json.dumps({"objects": objs, "opaque": opaque}), flush=True)
