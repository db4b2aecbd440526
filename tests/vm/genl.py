#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A raw generic netlink client for the VM tests: sends the mosix family
exactly the messages a test wants, bypassing mosctl's own validation, and
prints the outcome as "OK" or "ERRNO-NAME extack-message".

  genl.py set-table FILE [--chunk N]   MOSIX_CMD_SET_TABLE, text in chunks
  genl.py raw CMD TYPE:HEX[*N] ...     any command with arbitrary attributes
  genl.py status                       MOSIX_CMD_GET_STATUS, prints attributes
  genl.py dump-table [--out FILE] [--then CMD]
                                       MOSIX_CMD_GET_TABLE dump, one message per
                                       recv (minimal SO_RCVBUF); CMD (sh -c) runs
                                       after the first message, before the rest is
                                       read; prints per message "msg N flags 0xF
                                       gen G bytes B", then "done flags 0xF error E"
                                       (or "ERRNO-NAME extack"); FILE gets the text
  genl.py dump-sizes FROM TO           the GET_TABLE dump on a new socket for each
                                       read size FROM..TO (the kernel sizes a dump
                                       message by the reader's reads); one line each:
                                       "recv N msgs M bytes B error E intr I md5 H"
"""
import errno
import hashlib
import os
import socket
import struct
import subprocess
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP_INTR, NLM_F_DUMP = 1, 4, 0x10, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLMSGERR_ATTR_MSG = 1
SOL_NETLINK, NETLINK_EXT_ACK, NETLINK_CAP_ACK = 270, 11, 10
SO_SNDBUFFORCE = 32
MOSIX_CMD = {"status": 1, "set-table": 2, "get-table": 3}
MOSIX_A_TABLE_GEN, MOSIX_A_TABLE_TEXT = 5, 6


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
    def __init__(self, recv_size=1 << 20):
        self.recv_size = recv_size
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
            data = self.s.recv(self.recv_size)
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

    def dump(self, family, cmd, after_first=None):
        """A dump read one message per recv: the receive buffer is made as small
        as the kernel allows, so it never queues a message ahead of the reader.
        after_first() runs once the first message is read. Returns the
        messages as (type, flags, payload after the netlink header)."""
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
        self.seq += 1
        body = struct.pack("BBH", cmd, 1, 0)
        self.s.send(struct.pack("IHHII", 16 + len(body), family,
                                NLM_F_REQUEST | NLM_F_DUMP, self.seq, 0) + body)
        msgs = []
        while True:
            data, _, flags, _ = self.s.recvmsg(min(self.recv_size, 65536))
            if flags & socket.MSG_TRUNC:
                sys.exit("genl.py: a dump message longer than the read size %d" % self.recv_size)
            while data:
                ln, typ, fl, seq, pid = struct.unpack("IHHII", data[:16])
                msgs.append((typ, fl, data[16:ln]))
                if typ in (NLMSG_ERROR, NLMSG_DONE):
                    return msgs
                data = data[(ln + 3) & ~3:]
            if after_first and len(msgs) == 1:
                after_first()

    def family(self, name):
        err, ext, replies = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                         attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        if err:
            sys.exit("genl.py: family %s: %s" % (name, os.strerror(-err)))
        for t, v in parse_attrs(replies[0]):
            if t == CTRL_ATTR_FAMILY_ID:
                return struct.unpack("H", v[:2])[0]
        sys.exit("genl.py: no family id")


def table_dump(msgs):
    """GET_TABLE dump messages to (errno, extack, text, listing lines, number
    of messages flagged NLM_F_DUMP_INTR); no lines for a refused dump"""
    text, lines, intr = b"", [], 0
    for i, (typ, fl, p) in enumerate(msgs):
        if typ == NLMSG_ERROR:
            ext = ""
            for t, v in parse_attrs(p[4 + 16:]):
                if t == NLMSGERR_ATTR_MSG:
                    ext = v.rstrip(b"\0").decode()
            return struct.unpack("i", p[:4])[0], ext, text, [], intr
        intr += 1 if fl & NLM_F_DUMP_INTR else 0
        if typ == NLMSG_DONE:
            err = struct.unpack("i", p[:4])[0]
            lines.append("done flags 0x%x error %d" % (fl, err))
            return err, "", text, lines, intr
        gen, chunk = None, b""
        for t, v in parse_attrs(p[4:]):
            if t == MOSIX_A_TABLE_GEN:
                gen = struct.unpack("I", v)[0]
            elif t == MOSIX_A_TABLE_TEXT:
                chunk += v
        text += chunk
        lines.append("msg %d flags 0x%x gen %s bytes %d" % (i + 1, fl, gen, len(chunk)))
    return 0, "", text, lines, intr


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
    if argv[0] == "dump-table":
        opts = dict(zip(argv[1::2], argv[2::2]))
        then = opts.get("--then")
        msgs = g.dump(fam, MOSIX_CMD["get-table"],
                      (lambda: print("then rc", subprocess.call(["sh", "-c", then]),
                                     flush=True)) if then else None)
        err, ext, text, lines, _ = table_dump(msgs)
        if not lines:
            return outcome(err, ext)
        print("\n".join(lines))
        if "--out" in opts:
            open(opts["--out"], "wb").write(text)
        return 0
    if argv[0] == "dump-sizes":
        for n in range(int(argv[1]), int(argv[2]) + 1):
            gs = Genl(n)  # a new socket: the kernel remembers the largest read
            err, _, text, lines, intr = table_dump(
                gs.dump(gs.family("mosix"), MOSIX_CMD["get-table"]))
            print("recv %d msgs %d bytes %d error %d intr %d md5 %s" %
                  (n, max(len(lines) - 1, 0), len(text), err, intr,
                   hashlib.md5(text).hexdigest()))
            gs.s.close()
        return 0
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
