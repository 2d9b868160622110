"""A small rtnetlink client in the standard library: one socket, requests acknowledged one by one,
dumps, and the attribute (TLV) encoding both use. Shared by nlexec.py (rtnl_ops.py, rtnl_read.py).

A netlink socket stays bound to the network namespace it was created in, so callers create it
after entering the namespace (setns) they mean to change or read.
"""
import os
import socket
import struct

NETLINK_ROUTE = 0
SOL_NETLINK, NETLINK_EXT_ACK = 270, 11

NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLM_F_DUMP = 0x300
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE = 0x100, 0x200, 0x400
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLMSGERR_ATTR_MSG = 1
NLM_F_ACK_TLVS, NLM_F_CAPPED = 0x200, 0x100

RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
RTM_GETNETCONF = 82

AF_UNSPEC, AF_INET, AF_INET6 = 0, 2, 10
NLA_TYPE_MASK = 0x3FFF
RECV_SIZE = 1 << 16

IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, protocol, scope, type, flags
NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid


class NetlinkError(OSError):
    """The kernel refused a request. `str()` is what `ip` prints for it."""

    def __init__(self, err: int, ext: str | None = None):
        super().__init__(err, os.strerror(err))
        self.ext = ext

    def __str__(self) -> str:
        # iproute2's wording, so an error reads the same whichever way a line was carried out.
        return f"Error: {self.ext}." if self.ext else f"RTNETLINK answers: {os.strerror(self.errno)}"


def align(n: int) -> int:
    return (n + 3) & ~3


def attr(kind: int, data: bytes) -> bytes:
    n = 4 + len(data)
    return struct.pack("=HH", n, kind) + data + b"\0" * (align(n) - n)


def attr_u8(kind: int, v: int) -> bytes:
    return attr(kind, struct.pack("=B", v))


def attr_u32(kind: int, v: int) -> bytes:
    return attr(kind, struct.pack("=I", v))


def attr_str(kind: int, s: str) -> bytes:
    return attr(kind, s.encode() + b"\0")


def nested(kind: int, *children: bytes) -> bytes:
    return attr(kind, b"".join(children))


def parse_attrs(buf: bytes, off: int = 0, end: int | None = None) -> dict:
    """type -> payload (the first of each type; lists are not needed here), the nested and
    byte-order bits masked off; stops at an attribute that is too short or runs past `end`."""
    out: dict = {}
    end = len(buf) if end is None else end
    while off + 4 <= end:
        n, kind = struct.unpack_from("=HH", buf, off)
        if n < 4 or off + n > end:
            break
        out.setdefault(kind & NLA_TYPE_MASK, buf[off + 4 : off + n])
        off += align(n)
    return out


def u8(b: bytes | None) -> int | None:
    return None if b is None or len(b) < 1 else b[0]


def u32(b: bytes | None) -> int | None:
    return None if b is None or len(b) < 4 else struct.unpack_from("=I", b)[0]


def s32(b: bytes | None) -> int | None:
    return None if b is None or len(b) < 4 else struct.unpack_from("=i", b)[0]


def cstr(b: bytes | None) -> str | None:
    return None if b is None else b.split(b"\0", 1)[0].decode("utf-8", "replace")


class Rtnl:
    """One NETLINK_ROUTE socket in the current network namespace."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        except OSError:
            pass  # older kernels: plain errors
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _send(self, kind: int, flags: int, body: bytes) -> int:
        self.seq += 1
        self.sock.send(NLMSGHDR.pack(NLMSGHDR.size + len(body), kind, flags, self.seq, 0) + body)
        return self.seq

    def request(self, kind: int, flags: int, body: bytes) -> None:
        """Sends one change and waits for its acknowledgement; raises NetlinkError on refusal."""
        seq = self._send(kind, flags | NLM_F_REQUEST | NLM_F_ACK, body)
        while True:
            data = self.sock.recv(RECV_SIZE)
            off = 0
            while off + NLMSGHDR.size <= len(data):
                n, mtype, mflags, mseq, _ = NLMSGHDR.unpack_from(data, off)
                if n < NLMSGHDR.size:
                    break
                if mseq == seq and mtype == NLMSG_ERROR:
                    err = struct.unpack_from("=i", data, off + 16)[0]
                    if err == 0:
                        return
                    raise NetlinkError(-err, self._ext_msg(data, off, n, mflags))
                off += align(n)

    @staticmethod
    def _ext_msg(data: bytes, off: int, n: int, flags: int) -> str | None:
        if not flags & NLM_F_ACK_TLVS:
            return None
        # nlmsgerr: error (4) + the original header (16), + its payload unless capped
        inner = off + 20
        skip = NLMSGHDR.size if flags & NLM_F_CAPPED else struct.unpack_from("=I", data, inner)[0]
        tlv = parse_attrs(data, inner + align(skip), off + n)
        return cstr(tlv.get(NLMSGERR_ATTR_MSG)) or None

    def dump(self, kind: int, body: bytes) -> list:
        """Every (type, message bytes, payload offset) a dump request returns."""
        seq = self._send(kind, NLM_F_REQUEST | NLM_F_DUMP, body)
        out = []
        while True:
            data = self.sock.recv(RECV_SIZE)
            off = 0
            while off + NLMSGHDR.size <= len(data):
                n, mtype, _, mseq, _ = NLMSGHDR.unpack_from(data, off)
                if n < NLMSGHDR.size:
                    break
                if mseq == seq:
                    if mtype == NLMSG_DONE:
                        return out
                    if mtype == NLMSG_ERROR:
                        err = struct.unpack_from("=i", data, off + 16)[0]
                        if err:
                            raise NetlinkError(-err)
                    else:
                        out.append((mtype, data[off : off + n], NLMSGHDR.size))
                off += align(n)
