#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A raw generic netlink client for the VM tests: sends the mosix family
exactly the messages a test wants, bypassing mosctl's own validation, and
prints the outcome as "OK" or "ERRNO-NAME extack-message".

  genl.py set-table FILE [--chunk N]   MOSIX_CMD_SET_TABLE, text in chunks
  genl.py raw CMD TYPE:HEX[*N] ...     any command with arbitrary attributes
  genl.py status                       MOSIX_CMD_GET_STATUS, prints attributes
"""
import errno
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLMSGERR_ATTR_MSG = 1
SOL_NETLINK, NETLINK_EXT_ACK, NETLINK_CAP_ACK = 270, 11, 10
SO_SNDBUFFORCE = 32
MOSIX_CMD = {"status": 1, "set-table": 2, "get-table": 3}
MOSIX_A_TABLE_TEXT = 6


def attr(t, data):
    a = struct.pack("HH", 4 + len(data), t) + data
    return a + b"\0" * ((4 - len(a) % 4) % 4)


def parse_attrs(data):
    out = []
    while len(data) >= 4:
        ln, t = struct.unpack("HH", data[:4])
        if ln < 4:
            break
        out.append((t & 0x3FFF, data[4:ln]))
        data = data[(ln + 3) & ~3:]
    return out


class Genl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.s.bind((0, 0))
        self.seq = 0

    def request(self, family, cmd, payload, flags=NLM_F_REQUEST | NLM_F_ACK):
        self.seq += 1
        body = struct.pack("BBH", cmd, 1, 0) + payload
        msg = struct.pack("IHHII", 16 + len(body), family, flags, self.seq, 0) + body
        if len(msg) > 65536:
            try:
                self.s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, len(msg) + 65536)
            except PermissionError:
                pass
        self.s.send(msg)
        replies = []
        while True:
            data = self.s.recv(1 << 20)
            while data:
                ln, typ, fl, seq, pid = struct.unpack("IHHII", data[:16])
                if typ == NLMSG_ERROR:
                    err = struct.unpack("i", data[16:20])[0]
                    ext = ""
                    # with NETLINK_CAP_ACK only the request header follows
                    for t, v in parse_attrs(data[16 + 4 + 16:ln]):
                        if t == NLMSGERR_ATTR_MSG:
                            ext = v.rstrip(b"\0").decode()
                    return err, ext, replies
                if typ == NLMSG_DONE:
                    return 0, "", replies
                replies.append(data[16 + 4:ln])
                data = data[(ln + 3) & ~3:]

    def family(self, name):
        err, ext, replies = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                         attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        if err:
            sys.exit("genl.py: family %s: %s" % (name, os.strerror(-err)))
        for t, v in parse_attrs(replies[0]):
            if t == CTRL_ATTR_FAMILY_ID:
                return struct.unpack("H", v[:2])[0]
        sys.exit("genl.py: no family id")


def outcome(err, ext):
    if err == 0:
        print("OK")
        return 0
    print(errno.errorcode.get(-err, str(-err)), ext)
    return 1


def main(argv):
    g = Genl()
    fam = g.family("mosix")
    if argv[0] == "set-table":
        text = open(argv[1], "rb").read()
        chunk = int(argv[3]) if len(argv) > 3 and argv[2] == "--chunk" else 60000
        payload = b"".join(attr(MOSIX_A_TABLE_TEXT, text[i:i + chunk])
                           for i in range(0, len(text), chunk)) or attr(MOSIX_A_TABLE_TEXT, b"")
        err, ext, _ = g.request(fam, MOSIX_CMD["set-table"], payload)
        return outcome(err, ext)
    if argv[0] == "raw":
        payload = b""
        for a in argv[2:]:
            t, hexdata = a.split(":")
            reps = 1
            if "*" in hexdata:  # HEX*N: the bytes repeated N times
                hexdata, reps = hexdata.split("*")
            payload += attr(int(t), bytes.fromhex(hexdata) * int(reps))
        err, ext, _ = g.request(fam, int(argv[1]), payload)
        return outcome(err, ext)
    if argv[0] == "status":
        err, ext, replies = g.request(fam, MOSIX_CMD["status"], b"")
        if err:
            return outcome(err, ext)
        for t, v in parse_attrs(replies[0]):
            if len(v) == 4:
                print(t, struct.unpack("I", v)[0])
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
