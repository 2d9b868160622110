# The raw way to bench's "(b) set one link down / (b') up again" on the running lab, without the
# engine: run inside the leaf's namespace (nsenter --net=…), it sets DEV down and up REPS times,
# WAIT_MS apart as the engine's changes are, (1) through one warm rtnetlink socket (RTM_NEWLINK with
# IFF_UP changed, acknowledged: the kernel alone) and (2) as one `ip link set` process each (what a
# hand-written script does). Prints {"netlink": {"down": [ms…], "up": […]}, "ip": {…}} as JSON.
# Usage: python3 raw-link.py DEV REPS WAIT_MS
import json
import socket
import struct
import subprocess
import sys
import time

dev, reps, wait_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) / 1000
IFF_UP, RTM_NEWLINK, NLM_F_REQUEST, NLM_F_ACK, NLMSG_ERROR = 1, 16, 1, 4, 2

sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
sock.bind((0, 0))
index = socket.if_nametoindex(dev)
seq = 0


def netlink_set(up):
    global seq
    seq += 1
    ifi = struct.pack('BxHiII', socket.AF_UNSPEC, 0, index, IFF_UP if up else 0, IFF_UP)
    msg = struct.pack('IHHII', 16 + len(ifi), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, 0) + ifi
    t = time.perf_counter()
    sock.send(msg)
    answer = sock.recv(65536)
    ms = (time.perf_counter() - t) * 1000
    kind = struct.unpack('H', answer[4:6])[0]
    error = struct.unpack('i', answer[16:20])[0]
    if kind != NLMSG_ERROR or error != 0:
        sys.exit(f'raw-link: RTM_NEWLINK {dev} answered {kind}/{error}')
    return ms


def ip_set(up):
    t = time.perf_counter()
    subprocess.run(['ip', 'link', 'set', 'dev', dev, 'up' if up else 'down'], check=True)
    return (time.perf_counter() - t) * 1000


out = {}
for name, setter in (('netlink', netlink_set), ('ip', ip_set)):
    times = {'down': [], 'up': []}
    for _ in range(reps):
        time.sleep(wait_s)
        times['down'].append(setter(False))
        time.sleep(wait_s)
        times['up'].append(setter(True))
    out[name] = times
print(json.dumps(out))
