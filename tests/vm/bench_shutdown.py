#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""In a guest with mosix loaded, a key and a table set: bring-up and shutdown latency of
an idle node (median and p99 of 50 each), with the per-stage breakdown taken from the
events multicast group. Prints figures."""
import os
import socket
import statistics
import struct
import time
import importlib.util

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("genl", os.path.join(here, "genl.py"))
genl = importlib.util.module_from_spec(spec)
spec.loader.exec_module(genl)

CFG = "/sys/kernel/config/mosix"
RUNS = 50
CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 7, 1, 2
A_EVENT_KIND, A_EVENT_OP, A_EVENT_STAGE, A_EVENT_DURATION_US = 22, 23, 24, 25
EVENT_STAGE_DONE = 2


def events_group():
    g = genl.Genl()
    err, ext, replies = g.request(genl.GENL_ID_CTRL, genl.CTRL_CMD_GETFAMILY,
                                  genl.attr(genl.CTRL_ATTR_FAMILY_NAME, b"mosix\0"))
    for t, v in genl.parse_attrs(replies[0]):
        if t == CTRL_ATTR_MCAST_GROUPS:
            for _, grp in genl.parse_attrs(v):
                a = dict(genl.parse_attrs(grp))
                if a.get(CTRL_ATTR_MCAST_GRP_NAME, b"").rstrip(b"\0") == b"events":
                    return struct.unpack("I", a[CTRL_ATTR_MCAST_GRP_ID])[0]
    raise SystemExit("no events group")


def write(path, value):
    fd = os.open(path, os.O_WRONLY)
    t0 = time.perf_counter()
    os.write(fd, value)
    dt = time.perf_counter() - t0
    os.close(fd)
    return dt


def drain(sock, stages):
    while True:
        try:
            data = sock.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        while data:
            ln = struct.unpack("I", data[:4])[0]
            a = dict(genl.parse_attrs(data[20:ln]))
            if struct.unpack("I", a.get(A_EVENT_KIND, b"\0\0\0\0"))[0] == EVENT_STAGE_DONE:
                op = struct.unpack("I", a[A_EVENT_OP])[0]
                name = a[A_EVENT_STAGE].rstrip(b"\0").decode()
                stages.setdefault((op, name), []).append(struct.unpack("I", a[A_EVENT_DURATION_US])[0])
            data = data[(ln + 3) & ~3:]


def fmt(xs):
    xs = sorted(xs)
    return "median %8.3f ms  p99 %8.3f ms" % (statistics.median(xs) * 1000, xs[int(len(xs) * 0.99) - 1] * 1000)


def main():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, genl.NETLINK_GENERIC)
    sock.bind((0, 0))
    sock.setsockopt(genl.SOL_NETLINK, 1, events_group())  # NETLINK_ADD_MEMBERSHIP
    up, down, stages = [], [], {}
    interval = int(open(CFG + "/info_interval_ms").read())
    for _ in range(RUNS):
        up.append(write(CFG + "/pe", b"1"))
        drain(sock, stages)
        down.append(write(CFG + "/pe", b"0"))
        drain(sock, stages)
    print("bring-up of an idle node: %s (of %d)" % (fmt(up), RUNS))
    print("shutdown of an idle node: %s (of %d); one info interval is %d ms" % (fmt(down), RUNS, interval))
    for (op, name), us in sorted(stages.items()):
        print("  %-8s %-10s median %8.3f ms  max %8.3f ms"
              % ("bring-up" if op == 1 else "shutdown", name, statistics.median(us) / 1000, max(us) / 1000))


if __name__ == "__main__":
    main()
