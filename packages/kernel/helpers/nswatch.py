#!/usr/bin/env python3
"""Watch many network namespaces for rtnetlink changes from ONE process.

A netlink socket stays bound to the namespace it was created in, so this helper enters each
namespace (setns), opens a socket subscribed to the groups below, and returns to its own
namespace. It then waits on all sockets at once and prints one JSON line per namespace that
changed: {"ns": NAME, "events": N}. Node cannot setns() itself (libuv threads), hence a helper.

Commands on stdin, one per line: "add NAME" / "del NAME". Names are checked against a strict
pattern and only opened under /run/netns. The helper exits when stdin closes.

Subscribed: links, IPv4 addresses, IPv4 routes, IPv4 netconf (forwarding, proxy_arp), and
permanent bridge FDB entries (VXLAN flood entries). Learned FDB entries and ARP neighbours are
filtered out: they change all the time and are not part of a lab's desired state.
"""
import ctypes
import json
import os
import re
import select
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
NETLINK_ROUTE = 0
RTNLGRP = {"link": 1, "neigh": 3, "ipv4_ifaddr": 5, "ipv4_route": 7, "ipv4_netconf": 24}
RTM_NEWNEIGH, RTM_DELNEIGH = 28, 29
AF_BRIDGE = 7
NUD_PERMANENT = 0x80
NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{0,80}$")

libc = ctypes.CDLL(None, use_errno=True)


def setns(fd: int) -> None:
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def open_socket(name: str, home: int) -> socket.socket:
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        setns(fd)
        try:
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, NETLINK_ROUTE)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind((0, 0))
            for group in RTNLGRP.values():
                s.setsockopt(270, 1, group)  # SOL_NETLINK, NETLINK_ADD_MEMBERSHIP
            return s
        finally:
            setns(home)
    finally:
        os.close(fd)


def relevant(data: bytes) -> int:
    """Counts the messages in a netlink datagram that say something about desired state."""
    count, off = 0, 0
    while off + 16 <= len(data):
        length, mtype = struct.unpack_from("=IH", data, off)
        if length < 16:
            break
        if mtype in (RTM_NEWNEIGH, RTM_DELNEIGH):
            # struct ndmsg: family(1) pad(3) ifindex(4) state(2) flags(1) type(1)
            family = data[off + 16] if off + 17 <= len(data) else 0
            state = struct.unpack_from("=H", data, off + 24)[0] if off + 26 <= len(data) else 0
            if family == AF_BRIDGE and state & NUD_PERMANENT:
                count += 1
        else:
            count += 1
        off += (length + 3) & ~3
    return count


def main() -> None:
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    sockets: dict[int, tuple[str, socket.socket]] = {}
    by_name: dict[str, socket.socket] = {}
    poller = select.poll()
    poller.register(sys.stdin.fileno(), select.POLLIN)
    out = sys.stdout
    buf = b""
    while True:
        changed: dict[str, int] = {}
        for fd, _ in poller.poll():
            if fd == sys.stdin.fileno():
                chunk = os.read(fd, 65536)
                if not chunk:
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    verb, _, name = line.decode().strip().partition(" ")
                    if not NAME_RE.match(name):
                        print(json.dumps({"error": f"bad name {name!r}"}), file=out, flush=True)
                        continue
                    if verb == "add" and name not in by_name:
                        try:
                            s = open_socket(name, home)
                        except OSError as e:
                            print(json.dumps({"ns": name, "error": e.strerror}), file=out, flush=True)
                            continue
                        by_name[name] = s
                        sockets[s.fileno()] = (name, s)
                        poller.register(s.fileno(), select.POLLIN)
                        print(json.dumps({"ns": name, "watching": True}), file=out, flush=True)
                    elif verb == "del":
                        # The socket holds the namespace alive: close it before anyone deletes it.
                        s = by_name.pop(name, None)
                        if s is not None:
                            poller.unregister(s.fileno())
                            del sockets[s.fileno()]
                            s.close()
                        print(json.dumps({"ns": name, "watching": False}), file=out, flush=True)
                continue
            name, s = sockets[fd]
            n = 0
            try:
                while True:
                    n += relevant(s.recv(1 << 16))
            except BlockingIOError:
                pass
            except OSError:  # ENOBUFS: events were lost, so report a change
                n += 1
            if n:
                changed[name] = changed.get(name, 0) + n
        for name, n in changed.items():
            out.write(json.dumps({"ns": name, "events": n}) + "\n")
        out.flush()


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, BrokenPipeError):
        pass
