"""Interface counters of a namespace, read by nswatch.py through the dump socket it holds there
(an RTM_GETLINK dump: one round trip, no process)."""
import select
import socket
import struct

RTM_NEWLINK = 16
IFLA_IFNAME = 3
IFLA_STATS64 = 23
dump_seq = 1


def counters(d: socket.socket) -> dict:
    """Every link's counters in the dump socket's namespace: {ifname: [rx_packets, tx_packets,
    rx_bytes, tx_bytes, rx_dropped, tx_dropped]} (struct rtnl_link_stats64, u64 fields 0-3, 6-7)."""
    global dump_seq
    dump_seq += 1
    seq, out = dump_seq, {}
    try:  # a reply left over from an earlier dump that timed out: dropped
        while d.recv(1 << 20):
            pass
    except BlockingIOError:
        pass
    d.send(struct.pack("=IHHII", 32, 18, 0x1 | 0x300, seq, 0) + struct.pack("=BxHiII", 0, 0, 0, 0, 0))
    while select.select([d], [], [], 2.0)[0]:
        data = d.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            length, mtype, _, mseq = struct.unpack_from("=IHHI", data, off)
            if length < 16:
                return out
            if mseq == seq:
                if mtype in (2, 3):  # NLMSG_ERROR, NLMSG_DONE
                    return out
                if mtype == RTM_NEWLINK:
                    name, stats = None, None
                    pos, end = off + 32, off + length
                    while pos + 4 <= end:
                        alen, atype = struct.unpack_from("=HH", data, pos)
                        if alen < 4:
                            break
                        if atype & 0x3FFF == IFLA_IFNAME:
                            name = data[pos + 4 : pos + alen].split(b"\0", 1)[0].decode(errors="replace")
                        elif atype & 0x3FFF == IFLA_STATS64 and alen >= 4 + 64:
                            stats = struct.unpack_from("=8Q", data, pos + 4)
                        pos += (alen + 3) & ~3
                    if name is not None and stats is not None:
                        out[name] = [stats[0], stats[1], stats[2], stats[3], stats[6], stats[7]]
            off += (length + 3) & ~3
    return out  # timed out: what arrived
