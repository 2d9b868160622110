"""The neighbour (ARP/NDP) entries of the namespaces nswatch.py watches, and `ip neigh flush to
ADDRESS dev DEV` done over the netlink socket it already holds in each of them.

An apply that gives an address a new MAC flushes that address in every neighbour on its subnet
(packages/topology neighbours.ts): in a star of 200 that is 199 `ip neigh flush` processes, ~2 ms
each, for entries that mostly do not exist. The watcher receives every neighbour notification of
its namespaces anyway, so it knows which entries exist: a flush of a missing one costs nothing, an
existing one is deleted with one RTM_DELNEIGH. A namespace's book is filled on its first flush (one
RTM_GETLINK and one RTM_GETNEIGH dump) and kept current from the notifications after that.

Like `ip neigh flush`, entries that are PERMANENT or NOARP are left alone (iproute2 flushes every
other state by default, NONE included).
"""
import socket
import struct

RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH = 28, 29, 30
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
AF_INET, AF_INET6 = 2, 10
IFLA_IFNAME, NDA_DST = 3, 1
NUD_NOARP, NUD_PERMANENT = 0x40, 0x80


def _attr(data: bytes, pos: int, end: int, want: int) -> bytes | None:
    while pos + 4 <= end:
        alen, atype = struct.unpack_from("=HH", data, pos)
        if alen < 4:
            return None
        if atype & 0x3FFF == want:
            return data[pos + 4 : pos + alen]
        pos += (alen + 3) & ~3
    return None


class Book:
    """One namespace: interface names (name → ifindex) and neighbour entries ((ifindex, dst bytes) → NUD state)."""

    def __init__(self) -> None:
        self.names: dict[str, int] = {}
        self.entries: dict[tuple[int, bytes], int] = {}
        # notifications were lost (ENOBUFS): not to be trusted any more
        self.lost = False

    def learn(self, data: bytes) -> None:
        """Applies the link and neighbour messages of one datagram (a notification or a dump reply)."""
        off = 0
        while off + 16 <= len(data):
            length, mtype = struct.unpack_from("=IH", data, off)
            if length < 16 or off + length > len(data):
                return
            if mtype in (RTM_NEWLINK, RTM_DELLINK) and length >= 32 and data[off + 16] != 7:  # not AF_BRIDGE's
                index = struct.unpack_from("=i", data, off + 20)[0]
                raw = _attr(data, off + 32, off + length, IFLA_IFNAME)
                for name in [n for n, i in self.names.items() if i == index]:
                    del self.names[name]
                if mtype == RTM_NEWLINK and raw:
                    self.names[raw.split(b"\0", 1)[0].decode(errors="replace")] = index
                else:
                    self.entries = {k: v for k, v in self.entries.items() if k[0] != index}
            elif mtype in (RTM_NEWNEIGH, RTM_DELNEIGH) and length >= 28 and data[off + 16] in (AF_INET, AF_INET6):
                index, state = struct.unpack_from("=iH", data, off + 20)
                dst = _attr(data, off + 28, off + length, NDA_DST)
                if dst is not None:
                    if mtype == RTM_NEWNEIGH:
                        self.entries[(index, dst)] = state
                    else:
                        self.entries.pop((index, dst), None)
            off += (length + 3) & ~3


def _dump(d: socket.socket, mtype: int, body: bytes, seq: int, book: Book) -> bool:
    """Sends a dump request on the namespace's dump socket and feeds every reply to `book`."""
    import select

    try:  # replies left over from an earlier request that timed out: dropped
        while d.recv(1 << 20):
            pass
    except BlockingIOError:
        pass
    d.send(struct.pack("=IHHII", 16 + len(body), mtype, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body)
    while select.select([d], [], [], 2.0)[0]:
        data = d.recv(1 << 20)
        book.learn(data)
        off = 0
        while off + 16 <= len(data):
            length, t, _, s = struct.unpack_from("=IHHI", data, off)
            if length < 16:
                return False
            if s == seq and t in (NLMSG_DONE, NLMSG_ERROR):
                return t == NLMSG_DONE
            off += (length + 3) & ~3
    return False


def fill(d: socket.socket, seq: int) -> Book | None:
    """A namespace's book, read through its dump socket (None if a dump failed)."""
    book = Book()
    if not _dump(d, RTM_GETLINK, struct.pack("=BxHiII", 0, 0, 0, 0, 0), seq, book):
        return None
    if not _dump(d, RTM_GETNEIGH, struct.pack("=BxxxiHBB", 0, 0, 0, 0, 0), seq + 1, book):
        return None
    return book


def flush(d: socket.socket, book: Book, dev: str, address: str, seq: int) -> str | None:
    """`ip neigh flush to ADDRESS dev DEV`: None when done (or nothing to do), else an error."""
    index = book.names.get(dev)
    if index is None:
        return f"no interface {dev}"
    family = AF_INET6 if ":" in address else AF_INET
    try:
        dst = socket.inet_pton(family, address)
    except OSError:
        return f"bad address {address}"
    state = book.entries.get((index, dst))
    # ip's flush filter: every state but PERMANENT and NOARP, NONE (0) included
    if state is None or (state and not (state & 0xFF & ~(NUD_PERMANENT | NUD_NOARP))):
        return None
    attr = struct.pack("=HH", 4 + len(dst), NDA_DST) + dst
    body = struct.pack("=BxxxiHBB", family, index, 0, 0, 0) + attr
    d.send(struct.pack("=IHHII", 16 + len(body), RTM_DELNEIGH, NLM_F_REQUEST | NLM_F_ACK, seq, 0) + body)
    import select

    while select.select([d], [], [], 2.0)[0]:
        data = d.recv(1 << 16)
        off = 0
        while off + 16 <= len(data):
            length, t, _, s = struct.unpack_from("=IHHI", data, off)
            if length < 16:
                break
            if s == seq and t == NLMSG_ERROR:
                err = -struct.unpack_from("=i", data, off + 16)[0]
                # gone meanwhile (the kernel's own garbage collection): what a flush wanted
                if err in (0, 2):
                    book.entries.pop((index, dst), None)
                    return None
                return f"RTM_DELNEIGH: errno {err}"
            off += (length + 3) & ~3
    return "RTM_DELNEIGH: no answer"
