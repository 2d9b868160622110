#!/usr/bin/env python3
"""Watch many network namespaces for rtnetlink changes from ONE process.

A netlink socket stays bound to the namespace it was created in, so this helper enters each
namespace (setns), opens a socket subscribed to the groups below, and returns to its own
namespace. It then waits on all sockets at once and prints one JSON line per namespace that
changed: {"ns": NAME, "events": N}. Node cannot setns() itself (libuv threads), hence a helper.

Commands on stdin, one per line: "add NAME" / "del NAME" (acknowledged with {"ns", "watching"}),
"sync TOKEN" (reports every change queued so far, then {"sync": TOKEN}), and "counters TOKEN NS..."
(interface counters of those watched namespaces: {"counters": TOKEN, "stats": {NS: {IFNAME: [rx_packets,
tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped]}}}), and "neigh-flush TOKEN NS/DEV/ADDRESS..."
(`ip neigh flush to ADDRESS dev DEV` in each, over the watcher's own sockets: nlneigh.py; answered with
{"neigh": TOKEN, "flushed": N, "unknown": [items not watched], "errors": {item: message}}). Each report
line also carries the objects its messages describe (nldecode.py): "objects", and "opaque", how many
messages could not be decoded. Names are checked against a strict
pattern and only opened under /run/netns. The helper exits when stdin closes.

Counters are read with an RTM_GETLINK dump on a second socket per namespace, one that joins no
multicast group, so a dump never mixes with (or delays the draining of) the change notifications.

Subscribed: links, IPv4 and IPv6 addresses, routes (every table), policy rules and netconf (forwarding,
proxy_arp, rp_filter; IPv6 ones count as activity only: link-local autoconfiguration follows every
carrier change, and labs' desired state is IPv4), permanent bridge FDB entries (VXLAN flood entries), and, on a second socket
(NETLINK_NETFILTER, group NFNLGRP_NFTABLES), every nf_tables change: iptables-nft and ebtables-nft
write their rules through nf_tables, so a rule a student adds is reported like a route they add
(iptables rules are desired state: NAT, the FORWARD policy). Learned FDB entries and ARP neighbours are
filtered out: they change all the time and are not part of a lab's desired state.

Each report line also carries "all": the number of messages of any kind (neighbours, learned FDB
entries, carrier and operstate changes too), so ONE helper serves both the engine (which wants
desired-state changes only: "events") and the live tables (which show everything: "all"). With
--all-events, "events" counts every message too (the older mode, for callers that want one count).
"""
import ctypes
import json
import os
import re
import select
import socket
import struct
import sys

import nlcounters
import nlneigh
from nldecode import MAX_OBJECTS, decode

CLONE_NEWNET = 0x40000000
NETLINK_ROUTE = 0
RTNLGRP = {
    "link": 1, "neigh": 3, "ipv4_ifaddr": 5, "ipv4_route": 7, "ipv4_rule": 8,
    "ipv6_ifaddr": 9, "ipv6_route": 11, "ipv6_rule": 19, "ipv4_netconf": 24, "ipv6_netconf": 25,
}
NETLINK_NETFILTER, NFNLGRP_NFTABLES = 12, 7
RTM_NEWLINK, RTM_DELLINK = 16, 17
RTM_NEWNEIGH, RTM_DELNEIGH = 28, 29
AF_BRIDGE, AF_INET6 = 7, 10
# address, route, rule and netconf messages (their family byte follows the header)
RTM_FAMILY_TYPES = (20, 21, 24, 25, 32, 33, 80, 81)
NUD_PERMANENT = 0x80
NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{0,80}$")
ALL_EVENTS = "--all-events" in sys.argv[1:]

libc = ctypes.CDLL(None, use_errno=True)


def setns(fd: int) -> None:
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def open_sockets(name: str, home: int) -> tuple[socket.socket, socket.socket, socket.socket | None]:
    """(the socket subscribed to changes, a socket for counter dumps, the socket subscribed to
    nf_tables changes or None when the kernel has no nf_tables), all in namespace `name`."""
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        setns(fd)
        try:
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, NETLINK_ROUTE)
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                s.bind((0, 0))
                for group in RTNLGRP.values():
                    s.setsockopt(270, 1, group)  # SOL_NETLINK, NETLINK_ADD_MEMBERSHIP
                d = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, NETLINK_ROUTE)
            except OSError:
                s.close()
                raise
            d.bind((0, 0))
            try:
                nf = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, NETLINK_NETFILTER)
            except OSError:
                return s, d, None
            try:
                nf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                nf.bind((0, 0))
                nf.setsockopt(270, 1, NFNLGRP_NFTABLES)
            except OSError:
                nf.close()
                return s, d, None
            return s, d, nf
        finally:
            setns(home)
    finally:
        os.close(fd)


# Link attributes that make up a lab's desired state. Carrier and operstate changes (a peer going
# up, a port's state) are left out: they are not desired state, and on a bridge's host they come
# with every port, so reporting them would make the engine re-read a big namespace for nothing.
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_IFALIAS, IFLA_LINK_NETNSID = 1, 3, 4, 5, 10, 20, 37
LINK_KEYS = (IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_IFALIAS, IFLA_LINK_NETNSID)
IFF_UP = 0x1


def link_fingerprint(data: bytes, off: int, length: int) -> tuple[int, bytes]:
    """(ifindex, the desired-state part of an RTM_NEWLINK message)."""
    # struct ifinfomsg: family(1) pad(1) type(2) index(4) flags(4) change(4)
    _, _, index, flags, _ = struct.unpack_from("=BxHiII", data, off + 16)
    attrs = {}
    pos, end = off + 32, off + length
    while pos + 4 <= end:
        alen, atype = struct.unpack_from("=HH", data, pos)
        if alen < 4:
            break
        if (atype & 0x3FFF) in LINK_KEYS:
            attrs[atype & 0x3FFF] = data[pos + 4 : pos + alen]
        pos += (alen + 3) & ~3
    return index, bytes([flags & IFF_UP]) + b"".join(k.to_bytes(2, "little") + attrs[k] for k in sorted(attrs))


def relevant(data: bytes, links: dict) -> tuple[int, int]:
    """(messages in a netlink datagram that say something about desired state, messages of any kind).
    `links` remembers each link's last fingerprint in this namespace."""
    count, every, off = 0, 0, 0
    while off + 16 <= len(data):
        length, mtype = struct.unpack_from("=IH", data, off)
        if length < 16:
            break
        every += 1
        if mtype in (RTM_NEWLINK, RTM_DELLINK) and off + 17 <= len(data) and data[off + 16] == AF_BRIDGE:
            pass  # a bridge port's own state (forwarding, learning…): not desired state
        elif mtype in RTM_FAMILY_TYPES and off + 17 <= len(data) and data[off + 16] == AF_INET6:
            pass  # IPv6 (autoconfiguration follows carrier): activity for the live views, not desired state
        elif mtype == RTM_NEWLINK and off + 32 <= len(data):
            index, fp = link_fingerprint(data, off, length)
            if links.get(index) != fp:
                links[index] = fp
                count += 1
        elif mtype == RTM_DELLINK and off + 32 <= len(data):
            links.pop(struct.unpack_from("=i", data, off + 20)[0], None)
            count += 1
        elif mtype in (RTM_NEWNEIGH, RTM_DELNEIGH):
            # struct ndmsg: family(1) pad(3) ifindex(4) state(2) flags(1) type(1)
            family = data[off + 16] if off + 17 <= len(data) else 0
            state = struct.unpack_from("=H", data, off + 24)[0] if off + 26 <= len(data) else 0
            if family == AF_BRIDGE and state & NUD_PERMANENT:
                count += 1
        else:
            count += 1
        off += (length + 3) & ~3
    return (every if ALL_EVENTS else count), every


def drain(s: socket.socket, links: dict, objects: list, book: "nlneigh.Book | None" = None) -> tuple[int, int, int]:
    """Reads everything queued on a namespace's socket; returns (relevant changes, messages of any
    kind, messages not decoded). The decoded objects are appended to `objects`; the namespace's
    neighbour book, if it has one, learns from every message."""
    n, every, opaque = 0, 0, 0
    try:
        while True:
            data = s.recv(1 << 16)
            if book is not None:
                book.learn(data)
            a, b = relevant(data, links)
            objs, o = decode(data)
            objects.extend(objs)
            n, every, opaque = n + a, every + b, opaque + o
    except BlockingIOError:
        pass
    except OSError:  # ENOBUFS: events were lost, so report a change (one the caller must read)
        links.clear()
        if book is not None:
            book.lost = True
        n, every, opaque = n + 1, every + 1, opaque + 1
    return n, every, opaque


def drain_all(s: socket.socket) -> int:
    """Reads everything queued on a namespace's nf_tables socket; returns how many messages (each a change)."""
    n = 0
    try:
        while True:
            data = s.recv(1 << 16)
            off = 0
            while off + 16 <= len(data):
                length = struct.unpack_from("=I", data, off)[0]
                if length < 16:
                    break
                n += 1
                off += (length + 3) & ~3
    except BlockingIOError:
        pass
    except OSError:  # ENOBUFS: changes were lost, so report one
        n += 1
    return n


def prime(s: socket.socket, links: dict) -> None:
    """Learns every link's fingerprint (an RTM_GETLINK dump), so that a later carrier-only change
    of an existing link is not mistaken for a new link."""
    nlmsg_done, rtm_getlink, flags = 3, 18, 0x1 | 0x300  # NLM_F_REQUEST | NLM_F_DUMP
    s.send(struct.pack("=IHHII", 32, rtm_getlink, flags, 1, 0) + struct.pack("=BxHiII", 0, 0, 0, 0, 0))
    while True:
        if not select.select([s], [], [], 2.0)[0]:
            return
        data = s.recv(1 << 20)
        relevant(data, links)
        off = 0
        while off + 16 <= len(data):
            length, mtype = struct.unpack_from("=IH", data, off)
            if mtype == nlmsg_done or length < 16:
                return
            off += (length + 3) & ~3


def main() -> None:
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    sockets: dict[int, tuple[str, socket.socket]] = {}
    nft: dict[str, socket.socket] = {}
    nft_fds: dict[int, str] = {}
    link_memory: dict[str, dict] = {}
    by_name: dict[str, socket.socket] = {}
    dumpers: dict[str, socket.socket] = {}
    poller = select.poll()
    poller.register(sys.stdin.fileno(), select.POLLIN)
    out = sys.stdout
    buf = b""
    # per namespace: [relevant changes, messages of any kind, decoded objects, messages not decoded]
    changed: dict[str, list] = {}
    dump_seq_box = [1 << 20]  # sequence numbers of the neighbour dumps and deletions (apart from counters')
    # neighbour books (nlneigh.py), filled on a namespace's first `neigh-flush`
    books: dict[str, nlneigh.Book] = {}

    def collect(name: str, sock: socket.socket) -> None:
        objects: list = []
        book = books.get(name)
        n, every, opaque = drain(sock, link_memory.setdefault(name, {}), objects, book)
        if book is not None and book.lost:
            books.pop(name, None)  # messages were lost (ENOBUFS): refilled on the next flush
        if every:
            was = changed.setdefault(name, [0, 0, [], 0])
            was[0] += n
            was[1] += every
            was[2].extend(objects)
            was[3] += opaque

    def collect_nft(name: str) -> None:
        n = drain_all(nft[name]) if name in nft else 0
        if n:  # nf_tables messages are not decoded: the caller reads the rules again
            was = changed.setdefault(name, [0, 0, [], 0])
            was[0] += n
            was[1] += n
            was[3] += n

    def report() -> None:
        for name, (n, every, objects, opaque) in changed.items():
            if len(objects) > MAX_OBJECTS:  # a storm: one read is cheaper than many small updates
                objects, opaque = [], opaque + len(objects)
            line = {"ns": name, "events": n, "all": every, "opaque": opaque}
            if objects:
                line["objects"] = objects
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
        changed.clear()
        out.flush()

    while True:
        for fd, _ in poller.poll():
            if fd == sys.stdin.fileno():
                chunk = os.read(fd, 65536)
                if not chunk:
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    verb, _, name = line.decode().strip().partition(" ")
                    if verb == "sync":
                        # Everything the kernel sent before this point is reported before the ack,
                        # so a caller knows which changes of its own have been seen. Only the
                        # sockets with something queued are read (one poll): trying all of them,
                        # each recv ending in EAGAIN, cost ~2 ms per sync with 200 namespaces.
                        for ready_fd, _ in poller.poll(0):
                            watched = sockets.get(ready_fd)
                            if watched is not None:
                                collect(*watched)
                            elif ready_fd in nft_fds:
                                collect_nft(nft_fds[ready_fd])
                        report()
                        out.write(json.dumps({"sync": name}) + "\n")
                        out.flush()
                        continue
                    if verb == "neigh-flush":
                        # "neigh-flush TOKEN NS/DEV/ADDRESS...": `ip neigh flush to ADDRESS dev DEV` in NS
                        token, *items = name.split() or [""]
                        flushed, unknown, errors = 0, [], {}
                        # the sockets with something queued, asked once (one poll): trying each
                        # item's namespace, its recv ending in EAGAIN, was most of flushing 199
                        pending = {fd for fd, _ in poller.poll(0)}
                        for item in items:
                            ns, _, rest = item.partition("/")
                            dev, _, address = rest.rpartition("/")
                            sock = by_name.get(ns)
                            if sock is None or ns not in dumpers:
                                unknown.append(item)
                                continue
                            if sock.fileno() in pending:
                                pending.discard(sock.fileno())
                                collect(ns, sock)  # everything the kernel said so far is in the book
                            if ns not in books:
                                dump_seq_box[0] += 2
                                filled = nlneigh.fill(dumpers[ns], dump_seq_box[0])
                                if filled is None:
                                    unknown.append(item)
                                    continue
                                books[ns] = filled
                            dump_seq_box[0] += 1
                            err = nlneigh.flush(dumpers[ns], books[ns], dev, address, dump_seq_box[0])
                            if err is None:
                                flushed += 1
                            else:
                                errors[item] = err
                        out.write(json.dumps({"neigh": token, "flushed": flushed, "unknown": unknown, "errors": errors}) + "\n")
                        out.flush()
                        continue
                    if verb == "counters":
                        token, *names = name.split() or [""]
                        stats = {}
                        for ns in names:
                            if ns in dumpers:
                                try:
                                    stats[ns] = nlcounters.counters(dumpers[ns])
                                except OSError:
                                    pass
                        out.write(json.dumps({"counters": token, "stats": stats}) + "\n")
                        out.flush()
                        continue
                    if not NAME_RE.match(name):
                        print(json.dumps({"error": f"bad name {name!r}"}), file=out, flush=True)
                        continue
                    if verb == "add" and name in by_name:
                        print(json.dumps({"ns": name, "watching": True}), file=out, flush=True)
                    elif verb == "add":
                        try:
                            s, dumpers[name], nf = open_sockets(name, home)
                        except OSError as e:
                            print(json.dumps({"ns": name, "error": e.strerror}), file=out, flush=True)
                            continue
                        prime(s, link_memory.setdefault(name, {}))
                        by_name[name] = s
                        sockets[s.fileno()] = (name, s)
                        poller.register(s.fileno(), select.POLLIN)
                        if nf is not None:
                            nft[name] = nf
                            nft_fds[nf.fileno()] = name
                            poller.register(nf.fileno(), select.POLLIN)
                        print(json.dumps({"ns": name, "watching": True}), file=out, flush=True)
                    elif verb == "del":
                        # The socket holds the namespace alive: close it before anyone deletes it.
                        s = by_name.pop(name, None)
                        link_memory.pop(name, None)
                        books.pop(name, None)
                        d = dumpers.pop(name, None)
                        if d is not None:
                            d.close()
                        nf = nft.pop(name, None)
                        if nf is not None:
                            poller.unregister(nf.fileno())
                            del nft_fds[nf.fileno()]
                            nf.close()
                        if s is not None:
                            poller.unregister(s.fileno())
                            del sockets[s.fileno()]
                            s.close()
                        print(json.dumps({"ns": name, "watching": False}), file=out, flush=True)
                continue
            # A `del` read from stdin earlier in this round may have closed this socket already
            # (its events were reported by the same poll): nothing left to read from it.
            watched = sockets.get(fd)
            if watched is not None:
                collect(*watched)
            elif fd in nft_fds:
                collect_nft(nft_fds[fd])
        report()


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, BrokenPipeError):
        pass
