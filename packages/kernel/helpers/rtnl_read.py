"""A namespace read over rtnetlink, printed as iproute2 6.1 prints READ_COMMANDS under `ip -j -d`
(src/observe.ts: `link show`, `addr show`, `route show`, `netconf show`, `route show table all root
::/0`), so observe.ts's namespaceFromJson maps it to the same state. Only the fields observe.ts reads
are produced, and of the IPv6 routes only the main table's (the only ones it keeps); their names, value forms and the rules for when each is printed follow iproute2's
print_linkinfo / print_addrinfo / print_route / print_netconf. A kernel test
(nlexec.kernel.test.ts) compares both reads of the same namespaces.
"""
import json
import os
import socket
import struct

from rtnl import (_NLA_HEADER, NLA_TYPE_MASK, AF_INET, AF_INET6, AF_UNSPEC, IFADDRMSG, IFINFOMSG, RTMSG, RTM_GETADDR, RTM_GETLINK,
                  RTM_GETNETCONF, RTM_GETROUTE, Rtnl, attr_u32, cstr, parse_attrs, s32, u8, u32)

IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER = 1, 3, 4, 5, 10
IFLA_LINKINFO, IFLA_IFALIAS, IFLA_AF_SPEC, IFLA_LINK_NETNSID = 18, 20, 26, 37
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 1, 2, 4, 5
IFLA_INET6_ADDR_GEN_MODE = 8
IFLA_BR_STP_STATE, IFLA_BR_VLAN_FILTERING = 5, 7
IFLA_BR_FDB_N_LEARNED, IFLA_BR_FDB_MAX_LEARNED = 48, 49
IFLA_VXLAN_ID, IFLA_VXLAN_LINK, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LEARNING, IFLA_VXLAN_PORT, IFLA_VXLAN_LOCAL6 = (
    1, 3, 4, 7, 15, 17)
IFLA_MACVLAN_MODE = 1
IFLA_BRPORT_MODE, IFLA_BRPORT_LEARNING, IFLA_BRPORT_UNICAST_FLOOD, IFLA_BRPORT_ISOLATED = 4, 8, 9, 33
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS, IFA_F_NODAD = 1, 2, 8, 0x02
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_TABLE = 1, 4, 5, 15
RTM_F_CLONED = 0x200
NETCONFA_IFINDEX, NETCONFA_FORWARDING, NETCONFA_PROXY_NEIGH = 1, 2, 5

FLAG_NAMES = ((0x1, "UP"), (0x2, "BROADCAST"), (0x4, "DEBUG"), (0x8, "LOOPBACK"), (0x10, "POINTOPOINT"),
              (0x20, "NOTRAILERS"), (0x80, "NOARP"), (0x100, "PROMISC"), (0x200, "ALLMULTI"),
              (0x400, "MASTER"), (0x800, "SLAVE"), (0x1000, "MULTICAST"), (0x10000, "LOWER_UP"),
              (0x20000, "DORMANT"), (0x40000, "ECHO"))
LINK_TYPES = {1: "ether", 772: "loopback", 0xFFFE: "none"}
GEN_MODES = {0: "eui64", 1: "none", 2: "stable_secret", 3: "random"}
MACVLAN_MODES = {1: "private", 2: "vepa", 4: "bridge", 8: "passthru", 16: "source"}
SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
ROUTE_TYPES = {0: "none", 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast",
               6: "blackhole", 7: "unreachable", 8: "prohibit", 9: "throw", 10: "nat"}
PROTOCOLS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra",
             10: "mrt", 11: "zebra", 12: "bird", 16: "dhcp"}
TABLES = {253: "default", 254: "main", 255: "local"}
FAMILIES = {AF_INET: "inet", AF_INET6: "inet6"}
RT_TABLE_MAIN = 254
RT_TABLE_COMPAT = 252  # rtm_table of a route whose table does not fit in a byte (RTA_TABLE says which)
# What `links` looks at; the rest of a link's ~50 attributes are skipped unread.
LINK_ATTRS = frozenset((IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO, IFLA_IFALIAS,
                        IFLA_AF_SPEC, IFLA_LINK_NETNSID))
# The dump without the counters the kernel lets a dump skip (VF and IPv6 statistics; IFLA_STATS64 and
# IFLA_STATS come whatever the mask): the read does not show them (`ip -j -d` without -s), and each
# link's message is smaller (a fifth, for a bridge port).
IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS = 29, 1 << 3


def mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def ip_text(family: int, b: bytes) -> str:
    return socket.inet_ntop(family, b)


def flag_names(flags: int) -> list:
    out = [name for bit, name in FLAG_NAMES if flags & bit]
    if flags & 0x1 and not flags & 0x10000:
        out.insert(0, "NO-CARRIER")
    return out


# Decoded links by their message, what the read uses of it: a read after a change to one port of a
# 200-port bridge host gets 200 messages the kernel sent as last time but for values the read does
# not show — counters (IFLA_STATS64 and IFLA_STATS, sent whatever RTEXT_FILTER_SKIP_STATS says) and
# the bridge's and its ports' STP and GC timers (a port's forward-delay timer runs for 15 s after it
# comes up) — and decoding them again was most of the read. Kept per (namespace, ifindex): the
# message's length and its bytes outside those values' payloads. Every attribute header is among the
# compared bytes, so equal bytes mean the same attributes at the same places with the same values
# wherever the read looks: the same decoding. A decoded link also depends on the names of the links
# it names (peer, master, VXLAN underlay): those are kept with it and checked on every use. Bounded:
# cleared when full.
IFLA_STATS, IFLA_STATS64, IFLA_PAD = 7, 23, 42
COUNTERS = frozenset((IFLA_STATS, IFLA_STATS64, IFLA_PAD))
BRIDGE_TIMERS = frozenset((16, 17, 18, 19))  # IFLA_BR_{HELLO,TCN,TOPOLOGY_CHANGE,GC}_TIMER
PORT_TIMERS = frozenset((21, 22, 23))  # IFLA_BRPORT_{MESSAGE_AGE,FORWARD_DELAY,HOLD}_TIMER
_link_memo: dict = {}
LINK_MEMO_MAX = 8192


def _attrs(body: bytes, off: int, end: int):
    """(offset, length, type) of each attribute in body[off:end]."""
    while off + 4 <= end:
        n, kind = _NLA_HEADER(body, off)
        if n < 4 or off + n > end:
            return
        yield off, n, kind & NLA_TYPE_MASK
        off += (n + 3) & ~3


def _masked_payloads(body: bytes) -> list:
    """(start, end) of the payloads of the attributes the read ignores and the kernel changes."""
    out = []
    for off, n, kind in _attrs(body, IFINFOMSG.size, len(body)):
        if kind in COUNTERS:
            out.append((off + 4, off + n))
        elif kind == IFLA_LINKINFO:
            info: dict = {}
            for o, m, k in _attrs(body, off + 4, off + n):
                info.setdefault(k, (o, m))  # the first of each type, as parse_attrs keeps
            for kind_attr, data_attr, timers in ((IFLA_INFO_KIND, IFLA_INFO_DATA, BRIDGE_TIMERS),
                                                 (IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA, PORT_TIMERS)):
                if kind_attr in info and data_attr in info:
                    ko, km = info[kind_attr]
                    if body[ko + 4 : ko + km].rstrip(b"\0") == b"bridge":
                        do, dm = info[data_attr]
                        out += [(o + 4, o + m) for o, m, k in _attrs(body, do + 4, do + dm) if k in timers]
    return sorted(out)


def _stable(body: bytes, masked: list) -> bytes:
    parts, at = [], 0
    for start, end in masked:
        parts.append(body[at:start])
        at = end
    parts.append(body[at:])
    return b"".join(parts)


def kept_link(body: bytes, key: tuple):
    """The kept decoding of link `key` (namespace, ifindex) if `body` says the same where the read looks."""
    kept = _link_memo.get(key)
    if kept is None or len(body) != kept[0] or _stable(body, kept[1]) != kept[2]:
        return None
    return kept


def links(nl: Rtnl) -> tuple:
    """The links as `ip -j -d link show` prints them, and each one's JSON text (kept with it)."""
    raw = []
    request = IFINFOMSG.pack(AF_UNSPEC, 0, 0, 0, 0) + attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)
    namespace = os.stat("/proc/thread-self/ns/net").st_ino  # the one the caller entered (ifindexes are per namespace)
    for _, msg, off in nl.dump(RTM_GETLINK, request):
        body = msg[off:]  # the header's sequence number differs from dump to dump
        index = IFINFOMSG.unpack_from(body, 0)[2]
        kept = kept_link(body, (namespace, index))
        if kept is not None:
            raw.append((body, kept, index, kept[3]["ifname"]))
        else:
            name = cstr(parse_attrs(body, IFINFOMSG.size, None, (IFLA_IFNAME,)).get(IFLA_IFNAME))
            raw.append((body, None, index, name))
    names = {index: name for _, _, index, name in raw}
    out = []
    texts = []
    for body, kept, index, name in raw:
        if kept is not None and all(names.get(i) == n for i, n in kept[4]):
            out.append(kept[3])
            texts.append(kept[5])
            continue
        looked: list = []

        def name_of(i):
            looked.append((i, names.get(i)))
            return names.get(i) or f"if{i}"  # iproute2's ll_index_to_name fallback

        o = decode_link(body, name, name_of)
        text = json.dumps(o, separators=(",", ":"))
        if len(_link_memo) >= LINK_MEMO_MAX:
            _link_memo.clear()
        masked = _masked_payloads(body)
        _link_memo[(namespace, index)] = (len(body), masked, _stable(body, masked), o, tuple(looked), text)
        out.append(o)
        texts.append(text)
    return out, texts


def decode_link(body: bytes, name: str | None, name_of) -> dict:
    """One RTM_NEWLINK (from its ifinfomsg on) as `ip -j -d link show` prints it."""
    _, itype, index, flags, _ = IFINFOMSG.unpack_from(body, 0)
    a = parse_attrs(body, IFINFOMSG.size, None, LINK_ATTRS)
    o: dict = {"ifindex": index, "ifname": name}
    peer = u32(a.get(IFLA_LINK))
    netnsid = s32(a.get(IFLA_LINK_NETNSID))
    if peer:
        if IFLA_LINK_NETNSID in a:
            o["link_index"] = peer
        else:
            o["link"] = name_of(peer)
    o["flags"] = flag_names(flags)
    if IFLA_MTU in a:
        o["mtu"] = u32(a[IFLA_MTU])
    if IFLA_MASTER in a:
        o["master"] = name_of(u32(a[IFLA_MASTER]))
    o["link_type"] = LINK_TYPES.get(itype, str(itype))
    if IFLA_ADDRESS in a:
        o["address"] = mac(a[IFLA_ADDRESS])
    if netnsid is not None and netnsid >= 0:
        o["link_netnsid"] = netnsid
    if IFLA_IFALIAS in a:
        o["ifalias"] = cstr(a[IFLA_IFALIAS])
    info = linkinfo(a.get(IFLA_LINKINFO), name_of)
    if info:
        o["linkinfo"] = info
    spec = parse_attrs(a[IFLA_AF_SPEC]) if IFLA_AF_SPEC in a else {}
    if AF_INET6 in spec:
        mode = u8(parse_attrs(spec[AF_INET6]).get(IFLA_INET6_ADDR_GEN_MODE))
        if mode is not None:
            o["inet6_addr_gen_mode"] = GEN_MODES.get(mode, str(mode))
    return o


def linkinfo(b: bytes | None, name_of) -> dict | None:
    if b is None:
        return None
    li = parse_attrs(b)
    out: dict = {}
    kind = cstr(li.get(IFLA_INFO_KIND))
    if kind:
        out["info_kind"] = kind
        data = parse_attrs(li[IFLA_INFO_DATA]) if IFLA_INFO_DATA in li else {}
        if kind == "bridge" and data:
            out["info_data"] = {"stp_state": u32(data.get(IFLA_BR_STP_STATE)) or 0,
                                "vlan_filtering": u8(data.get(IFLA_BR_VLAN_FILTERING)) or 0}
            # Linux 6.8's FDB cap and count, named as a newer iproute2 prints them (6.1 does not:
            # observe.ts reads them through bridge-attrs.ts); absent on older kernels.
            for key, t in (("fdb_max_learned", IFLA_BR_FDB_MAX_LEARNED), ("fdb_n_learned", IFLA_BR_FDB_N_LEARNED)):
                if t in data:
                    out["info_data"][key] = u32(data[t])
        elif kind == "vxlan" and data:
            d: dict = {"id": u32(data.get(IFLA_VXLAN_ID)) or 0}
            if IFLA_VXLAN_LOCAL in data:
                d["local"] = ip_text(AF_INET, data[IFLA_VXLAN_LOCAL])
            if IFLA_VXLAN_LOCAL6 in data:
                d["local6"] = ip_text(AF_INET6, data[IFLA_VXLAN_LOCAL6])
            if u32(data.get(IFLA_VXLAN_LINK)):
                d["link"] = name_of(u32(data[IFLA_VXLAN_LINK]))
            if IFLA_VXLAN_PORT in data:
                d["port"] = struct.unpack("!H", data[IFLA_VXLAN_PORT][:2])[0]
            if IFLA_VXLAN_LEARNING in data:
                d["learning"] = bool(u8(data[IFLA_VXLAN_LEARNING]))
            out["info_data"] = d
        elif kind == "macvlan" and IFLA_MACVLAN_MODE in data:
            mode = u32(data[IFLA_MACVLAN_MODE])
            out["info_data"] = {"mode": MACVLAN_MODES.get(mode, str(mode))}
    slave = cstr(li.get(IFLA_INFO_SLAVE_KIND))
    if slave:
        out["info_slave_kind"] = slave
        if slave == "bridge" and IFLA_INFO_SLAVE_DATA in li:
            sd = parse_attrs(li[IFLA_INFO_SLAVE_DATA])
            keys = (("hairpin", IFLA_BRPORT_MODE), ("learning", IFLA_BRPORT_LEARNING),
                    ("flood", IFLA_BRPORT_UNICAST_FLOOD), ("isolated", IFLA_BRPORT_ISOLATED))
            out["info_slave_data"] = {k: bool(u8(sd[t])) for k, t in keys if t in sd}
    return out


def addresses(nl: Rtnl, link_list: list) -> list:
    by_index: dict = {}
    for _, msg, off in nl.dump(RTM_GETADDR, IFADDRMSG.pack(AF_UNSPEC, 0, 0, 0, 0)):
        family, plen, flags, scope, index = IFADDRMSG.unpack_from(msg, off)
        if family not in FAMILIES:
            continue
        a = parse_attrs(msg, off + IFADDRMSG.size)
        local = a.get(IFA_LOCAL, a.get(IFA_ADDRESS))
        if local is None:
            continue
        flags = u32(a.get(IFA_FLAGS)) if IFA_FLAGS in a else flags
        info: dict = {"family": FAMILIES[family], "local": ip_text(family, local), "prefixlen": plen,
                      "scope": SCOPES.get(scope, str(scope))}
        if flags & IFA_F_NODAD:
            info["nodad"] = True
        by_index.setdefault(index, []).append(info)
    return [{"ifindex": l["ifindex"], "ifname": l["ifname"], "addr_info": by_index.get(l["ifindex"], [])}
            for l in link_list]


def routes(nl: Rtnl, family: int, names: dict, main_only: bool) -> list:
    host_len = 32 if family == AF_INET else 128
    out = []
    for _, msg, off in nl.dump(RTM_GETROUTE, RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)):
        fam, dst_len, _, _, table, protocol, scope, rtype, rflags = RTMSG.unpack_from(msg, off)
        if fam != family or rflags & RTM_F_CLONED:
            continue
        if main_only and table not in (RT_TABLE_MAIN, RT_TABLE_COMPAT):
            continue  # another table (a bridge host's 200 `local` multicast routes): not decoded
        a = parse_attrs(msg, off + RTMSG.size)
        table = u32(a.get(RTA_TABLE)) or table
        if main_only and table != RT_TABLE_MAIN:
            continue
        r: dict = {"type": ROUTE_TYPES.get(rtype, str(rtype))}
        if RTA_DST in a:
            dst = ip_text(family, a[RTA_DST])
            r["dst"] = dst if dst_len == host_len else f"{dst}/{dst_len}"
        else:
            r["dst"] = f"0/{dst_len}" if dst_len else "default"
        if RTA_GATEWAY in a:
            r["gateway"] = ip_text(family, a[RTA_GATEWAY])
        if RTA_OIF in a:
            r["dev"] = names.get(u32(a[RTA_OIF])) or f"if{u32(a[RTA_OIF])}"
        r["protocol"] = PROTOCOLS.get(protocol, str(protocol))
        r["scope"] = SCOPES.get(scope, str(scope))
        if not main_only:
            r["table"] = TABLES.get(table, str(table))
        out.append(r)
    return out


_netconf_memo: dict = {}  # as _link_memo: decoded entries by message, with the interface name used


def netconf(nl: Rtnl, names: dict) -> list:
    out = []
    for _, msg, off in nl.dump(RTM_GETNETCONF, struct.pack("=Bxxx", AF_UNSPEC)):
        body = msg[off:]
        kept = _netconf_memo.get(body)
        if kept is not None and names.get(kept[0]) == kept[1]:
            if kept[2] is not None:
                out.append(kept[2])
            continue
        family = body[0]
        c = None
        index = None
        if family in FAMILIES:
            a = parse_attrs(body, 4)
            index = s32(a.get(NETCONFA_IFINDEX))
            name = {-1: "all", -2: "default"}.get(index) if index is not None and index < 0 else names.get(index)
            c = {"family": FAMILIES[family], "interface": name or f"if{index}"}
            if NETCONFA_FORWARDING in a:
                c["forwarding"] = bool(s32(a[NETCONFA_FORWARDING]))
            if NETCONFA_PROXY_NEIGH in a:
                c["proxy_neigh"] = bool(s32(a[NETCONFA_PROXY_NEIGH]))
            out.append(c)
        if len(_netconf_memo) >= LINK_MEMO_MAX:
            _netconf_memo.clear()
        _netconf_memo[body] = (index, names.get(index), c)
    return out


def read_namespace(nl: Rtnl) -> list:
    """The five JSON values of READ_COMMANDS, in their order."""
    return json.loads(read_namespace_text(nl))


def read_namespace_text(nl: Rtnl) -> str:
    """read_namespace's values as one JSON text (compact), the links' texts reused from their memo:
    encoding a 200-port host's links again took longer than reading them."""
    link_list, texts = links(nl)
    names = {l["ifindex"]: l["ifname"] for l in link_list}
    # IPv6: the main table only, where `ip route show table all root ::/0` prints every table; the
    # state keeps the main table's routes alone (observe.ts), and the `local` table of a 200-port
    # bridge host holds 200 multicast routes (0.9 ms of the read to decode, send and drop).
    rest = [addresses(nl, link_list), routes(nl, AF_INET, names, True), netconf(nl, names),
            routes(nl, AF_INET6, names, True)]
    return "[[" + ",".join(texts) + "]," + ",".join(json.dumps(v, separators=(",", ":")) for v in rest) + "]"
