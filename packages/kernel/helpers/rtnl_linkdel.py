"""`link del dev DEV` over rtnetlink, answered as soon as the link is gone (rtnl_ops.py's line).

The kernel acknowledges RTM_DELLINK only after `netdev_run_todo` has run, and that waits for RCU
callbacks (`rcu_barrier`) before freeing the device: ~40 ms on the project's VM for one veth, of a
60 ms `ip link del`. What anyone can see of the link is final before that wait: while still holding
rtnl, `unregister_netdevice_many` first unlists every device of the deletion (a veth's peer too: both
ends are unregistered together; the name and ifindex are free from here on), detaches them (bridge
port, addresses, routes, fdb) and only then sends the RTM_DELLINK notifications; rtnl is released
before the barrier. So this sends the request from a short-lived thread on its own socket and
returns at the first of: the acknowledgement (an error, or success), or the RTM_DELLINK notification
of that ifindex on a socket subscribed to the link group before the request was sent. The thread
waits out the barrier on its own; the kernel state is the same as after `ip link del`.
"""
import os
import select
import socket
import threading

import rtnl
from rtnl import IFINFOMSG, NLMSGHDR, NETLINK_ROUTE, RECV_SIZE, align

RTM_DELLINK = 17
RTMGRP_LINK = 0x1


def link_gone(data: bytes, index: int) -> bool:
    """Whether a batch of notifications holds RTM_DELLINK for `index`."""
    off = 0
    while off + NLMSGHDR.size <= len(data):
        n, mtype, _, _, _ = NLMSGHDR.unpack_from(data, off)
        if n < NLMSGHDR.size:
            break
        if mtype == RTM_DELLINK and n >= NLMSGHDR.size + IFINFOMSG.size:
            if IFINFOMSG.unpack_from(data, off + NLMSGHDR.size)[2] == index:
                return True
        off += align(n)
    return False


def delete_link(index: int) -> None:
    """Deletes link `index` of the current network namespace; raises rtnl.NetlinkError on refusal."""
    # Both sockets are made here, in the namespace the caller entered; the thread only uses them.
    monitor = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE)
    try:
        monitor.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        monitor.bind((0, RTMGRP_LINK))
        requester = rtnl.Rtnl()
    except BaseException:
        monitor.close()
        raise
    answered_r, answered_w = os.pipe2(os.O_CLOEXEC)
    outcome: list = []

    def request() -> None:
        try:
            requester.request(RTM_DELLINK, 0, IFINFOMSG.pack(0, 0, index, 0, 0))
            outcome.append(None)
        except OSError as e:
            outcome.append(e)
        finally:
            requester.close()
            try:
                os.write(answered_w, b"!")
            except OSError:
                pass  # EPIPE: the caller returned on the notification and closed its end already
            finally:
                os.close(answered_w)

    threading.Thread(target=request, name=f"linkdel-{index}", daemon=True).start()
    waiting = [monitor, answered_r]
    try:
        while True:
            ready, _, _ = select.select(waiting, [], [])
            if answered_r in ready:
                if outcome and outcome[0] is not None:
                    raise outcome[0]
                return
            try:
                data = monitor.recv(RECV_SIZE)
            except OSError:
                waiting = [answered_r]  # ENOBUFS: notifications were lost; the acknowledgement still comes
                continue
            if link_gone(data, index):
                return
    finally:
        monitor.close()
        os.close(answered_r)
