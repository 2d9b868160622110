#!/usr/bin/env python3
"""Bridge attributes iproute2 6.1 cannot set or show: the cap on learned FDB entries.

  bridgeattr.py get      print {"bridges": {NAME: {"fdbMaxLearned": N, "fdbLearned": N}}} for every
                         bridge of the current network namespace (values null when the kernel lacks
                         the attributes: before Linux 6.8)
  bridgeattr.py serve    a long-lived reader: for each line "get NS" on stdin, answers one JSON line
                         {"ns": NS, "bridges": {...}} (as `get`, read inside /run/netns/NS), or
                         {"ns": NS, "missing": true} when NS does not exist, or {"ns": NS, "error": TEXT}.
                         Exits when stdin closes. Saves a Python start (~100 ms here) per read.
  bridgeattr.py batch    read lines from stdin, each exactly
                             link set dev NAME type bridge fdb_max_learned N
                         (the command a newer iproute2 takes) and apply them in order, stopping at the
                         first failure. Prints one JSON line per line run: {"line": I, "ok": true} or
                         {"line": I, "ok": false, "error": TEXT}; exit status 1 if one failed.

The kernel's IFLA_BR_FDB_MAX_LEARNED (Linux 6.8+) caps how many entries a bridge learns from the
source MACs of frames; at the cap, new source MACs are not learned (frames to them are flooded),
so a MAC flood from a student's namespace costs a bounded table. 0 means no cap (the default).
iproute2 6.1 knows neither the keyword nor the attributes (`ip -d -j link` does not print them), so
this helper speaks rtnetlink itself. `get` and `batch` work in the namespace they run in: the caller
starts them inside the bridge's namespace (the spawner enters it), never in the machine's own.
`serve` opens each read's socket inside the named namespace (setns there and straight back, as
nswatch.py does; a netlink socket stays bound to the namespace it was made in). Style as nswatch.py:
stdlib + ctypes only.
"""
import ctypes
import json
import os
import re
import socket
import struct
import sys

RTM_NEWLINK, RTM_GETLINK = 16, 18
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
IFLA_IFNAME, IFLA_LINKINFO = 3, 18
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFLA_BR_FDB_N_LEARNED, IFLA_BR_FDB_MAX_LEARNED = 48, 49  # include/uapi/linux/if_link.h, Linux 6.8
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3FFF
MAX_U32 = 0xFFFFFFFF
IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
NS_RE = re.compile(r"^[a-z][a-z0-9._-]{0,80}$")  # same as assertNamespaceName in src/process.ts
CLONE_NEWNET = 0x40000000
LINE_RE = re.compile(r"^link set dev (\S+) type bridge fdb_max_learned ([0-9]{1,10})$")


def attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def attrs(data: bytes):
    """(type, payload) of each rtattr in data."""
    off = 0
    while off + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, off)
        if length < 4:
            break
        yield kind & NLA_TYPE_MASK, data[off + 4 : off + length]
        off += (length + 3) & ~3


def ifinfomsg(index: int = 0) -> bytes:
    return struct.pack("=BxHiII", socket.AF_UNSPEC, 0, index, 0, 0)


class Netlink:
    def __init__(self, sock=None):
        self.sock = sock or socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.seq = 0

    def send(self, msg_type: int, flags: int, body: bytes) -> int:
        self.seq += 1
        self.sock.send(struct.pack("=IHHII", 16 + len(body), msg_type, flags, self.seq, 0) + body)
        return self.seq

    def replies(self, seq: int):
        """(type, payload) of each message answering `seq`, up to NLMSG_DONE or the ack."""
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, msg_type, _flags, msg_seq, _pid = struct.unpack_from("=IHHII", data, off)
                if length < 16:
                    return
                payload = data[off + 16 : off + length]
                off += (length + 3) & ~3
                if msg_seq != seq:
                    continue
                if msg_type == NLMSG_DONE:
                    return
                yield msg_type, payload
                if msg_type == NLMSG_ERROR:
                    return


def read_bridges(nl=None) -> dict:
    nl = nl or Netlink()
    # Asking for kind "bridge" lets the kernel leave out every other link (a bridge host may hold
    # hundreds of veths); the kind is checked again below.
    want = attr(IFLA_LINKINFO | NLA_F_NESTED, attr(IFLA_INFO_KIND, b"bridge\0"))
    seq = nl.send(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, ifinfomsg() + want)
    out = {}
    for msg_type, payload in nl.replies(seq):
        if msg_type == NLMSG_ERROR:
            (err,) = struct.unpack_from("=i", payload)
            if err:
                raise OSError(-err, os.strerror(-err))
            continue
        if msg_type != RTM_NEWLINK:
            continue
        name, kind, info = None, None, {}
        for t, value in attrs(payload[16:]):
            if t == IFLA_IFNAME:
                name = value.rstrip(b"\0").decode()
            elif t == IFLA_LINKINFO:
                for it, iv in attrs(value):
                    if it == IFLA_INFO_KIND:
                        kind = iv.rstrip(b"\0").decode()
                    elif it == IFLA_INFO_DATA:
                        info = {bt: bv for bt, bv in attrs(iv)}
        if kind != "bridge" or name is None:
            continue

        def u32(key):
            v = info.get(key)
            return struct.unpack("=I", v[:4])[0] if v is not None and len(v) >= 4 else None

        out[name] = {"fdbMaxLearned": u32(IFLA_BR_FDB_MAX_LEARNED), "fdbLearned": u32(IFLA_BR_FDB_N_LEARNED)}
    return out


def set_max_learned(nl: Netlink, dev: str, value: int) -> None:
    try:
        index = socket.if_nametoindex(dev)
    except OSError:
        raise OSError(19, f"Cannot find device \"{dev}\"") from None
    data = attr(IFLA_BR_FDB_MAX_LEARNED, struct.pack("=I", value))
    info = attr(IFLA_INFO_KIND, b"bridge\0") + attr(IFLA_INFO_DATA | NLA_F_NESTED, data)
    seq = nl.send(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ifinfomsg(index) + attr(IFLA_LINKINFO | NLA_F_NESTED, info))
    for msg_type, payload in nl.replies(seq):
        if msg_type == NLMSG_ERROR:
            (err,) = struct.unpack_from("=i", payload)
            if err:
                raise OSError(-err, os.strerror(-err))
            return
    raise OSError(5, "no answer from the kernel")


def batch() -> int:
    nl = Netlink()
    for i, raw in enumerate(sys.stdin.read().splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = LINE_RE.match(line)
        error = None
        if not m or not IFNAME_RE.match(m.group(1)) or int(m.group(2)) > MAX_U32:
            error = f"not a line this helper takes: {line!r}"
        else:
            try:
                set_max_learned(nl, m.group(1), int(m.group(2)))
            except OSError as e:
                error = e.strerror or str(e)
        print(json.dumps({"line": i, "ok": error is None, **({"error": error} if error else {})}), flush=True)
        if error:
            return 1
    return 0


libc = ctypes.CDLL(None, use_errno=True)


def setns(fd: int) -> None:
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def socket_in(name: str, home: int) -> socket.socket:
    """A netlink socket living in namespace `name` (this process returns to `home` at once)."""
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        setns(fd)
        try:
            return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        finally:
            setns(home)  # if this fails the helper must not go on in the wrong namespace
    finally:
        os.close(fd)


def serve() -> int:
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    for raw in sys.stdin:
        parts = raw.split()
        if len(parts) != 2 or parts[0] != "get" or not NS_RE.match(parts[1]):
            print(json.dumps({"error": f"bad request {raw.strip()!r}"}), flush=True)
            continue
        name = parts[1]
        try:
            sock = socket_in(name, home)
        except FileNotFoundError:
            print(json.dumps({"ns": name, "missing": True}), flush=True)
            continue
        try:
            with sock:
                answer = {"ns": name, "bridges": read_bridges(Netlink(sock))}
        except OSError as e:
            answer = {"ns": name, "error": e.strerror or str(e)}
        print(json.dumps(answer), flush=True)
    return 0


def main() -> int:
    cmd = sys.argv[1:] or [""]
    if cmd == ["get"]:
        print(json.dumps({"bridges": read_bridges()}))
        return 0
    if cmd == ["batch"]:
        return batch()
    if cmd == ["serve"]:
        return serve()
    print("usage: bridgeattr.py get | serve | batch (lines on stdin)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
