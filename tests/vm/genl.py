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
  genl.py job-add PID UID NAME CMD     MOSIX_CMD_JOB_ADD; an argument "-" leaves its
                                       attribute out; prints "OK home H num N"
  genl.py job-where NUM PE             MOSIX_CMD_JOB_WHERE ("-" leaves an attribute out)
  genl.py job-exit NUM STATUS [--events]
                                       MOSIX_CMD_JOB_EXIT ("-" leaves an attribute
                                       out); --events: listens to the events group
                                       first, then prints the job-exited events that
                                       arrive within 5 s, "event job-exited home H num
                                       N uid U status S", up to the one of NUM
  genl.py job-churn PID UID NAME COUNT COUNT times: JOB_ADD of PID, then JOB_EXIT of
                                       it with status 0, 1, ...; prints "OK first F
                                       last L" (the nums) or the first error
  genl.py jobs [--no-age] [TYPE:HEX[*N] ...]
                                       MOSIX_CMD_GET_JOBS (with these attributes in
                                       the request), one line per job: "home H num N
                                       where W pid P uid U state S status X name N
                                       cmd C age A" (state running, exited or the
                                       number; an absent attribute is "-"; --no-age:
                                       without " age A")
  genl.py batch                        the subcommands of stdin's lines, one python
                                       start for all (emulated guests are slow):
                                       each line split as sh would (shlex), \\xHH in
                                       an argument is that byte; prints what each
                                       prints
"""
import errno
import hashlib
import os
import re
import shlex
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
MOSIX_CMD = {"status": 1, "set-table": 2, "get-table": 3, "event": 5,
             "job-add": 6, "job-exit": 7, "get-jobs": 8, "job-where": 14}
MOSIX_A_TABLE_GEN, MOSIX_A_TABLE_TEXT = 5, 6
MOSIX_A_EVENT_KIND = 22
MOSIX_EVENT_JOB_EXITED = 6
JOB_ATTRS = ["home", "num", "where", "pid", "uid", "state", "status", "name", "cmd", "age"]
MOSIX_A_JOB = {n: 30 + i for i, n in enumerate(JOB_ATTRS)}
JOB_STATES = {1: "running", 2: "exited"}
CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 7, 1, 2
NETLINK_ADD_MEMBERSHIP = 1


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
        self.mcast = {}

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
        fam = None
        for t, v in parse_attrs(replies[0]):
            if t == CTRL_ATTR_FAMILY_ID:
                fam = struct.unpack("H", v[:2])[0]
            elif t == CTRL_ATTR_MCAST_GROUPS:
                for _, grp in parse_attrs(v):
                    g = dict(parse_attrs(grp))
                    self.mcast[g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = \
                        struct.unpack("I", g[CTRL_ATTR_MCAST_GRP_ID])[0]
        if fam is None:
            sys.exit("genl.py: no family id")
        return fam


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


def raw_attrs(args):
    """TYPE:HEX[*N] arguments as attributes"""
    payload = b""
    for a in args:
        t, hexdata = a.split(":")
        reps = 1
        if "*" in hexdata:  # HEX*N: the bytes repeated N times
            hexdata, reps = hexdata.split("*")
        payload += attr(int(t), bytes.fromhex(hexdata) * int(reps))
    return payload


def u32(v):
    return struct.pack("I", int(v))


def job_line(p, age=True):
    """a GET_JOBS message (after the netlink header) as genl.py jobs prints it"""
    a = dict(parse_attrs(p[4:]))
    out = []
    for n in JOB_ATTRS if age else JOB_ATTRS[:-1]:
        v = a.get(MOSIX_A_JOB[n])
        if v is None:
            s = "-"
        elif n in ("name", "cmd"):
            s = v.rstrip(b"\0").decode()
        elif n == "age":
            s = str(struct.unpack("Q", v)[0])
        else:
            s = str(struct.unpack("I", v)[0])
            if n == "state":
                s = JOB_STATES.get(int(s), s)
        out.append("%s %s" % (n, s))
    return " ".join(out)


def job_add(g, fam, pid, uid, name, cmd):
    """JOB_ADD; "-" leaves an attribute out. Returns (errno, extack, home, num)"""
    payload = b""
    if pid != "-":
        payload += attr(MOSIX_A_JOB["pid"], u32(pid))
    if uid != "-":
        payload += attr(MOSIX_A_JOB["uid"], u32(uid))
    if name != "-":
        payload += attr(MOSIX_A_JOB["name"], name.encode() + b"\0")
    if cmd != "-":
        payload += attr(MOSIX_A_JOB["cmd"], cmd.encode() + b"\0")
    err, ext, replies = g.request(fam, MOSIX_CMD["job-add"], payload)
    home = num = None
    if not err:
        a = dict(parse_attrs(replies[0]))
        home = struct.unpack("I", a[MOSIX_A_JOB["home"]])[0]
        num = struct.unpack("I", a[MOSIX_A_JOB["num"]])[0]
    return err, ext, home, num


def job_exit(g, fam, num, status):
    payload = b""
    if num != "-":
        payload += attr(MOSIX_A_JOB["num"], u32(num))
    if status != "-":
        payload += attr(MOSIX_A_JOB["status"], u32(status))
    err, ext, _ = g.request(fam, MOSIX_CMD["job-exit"], payload)
    return err, ext


def job_events(s, num, secs):
    """print the job-exited events arriving on s within secs, up to the one of num"""
    s.settimeout(secs)
    while True:
        try:
            data = s.recv(65536)
        except socket.timeout:
            return
        while data:
            ln, typ, fl, seq, pid = struct.unpack("IHHII", data[:16])
            a = dict(parse_attrs(data[16 + 4:ln]))
            data = data[(ln + 3) & ~3:]
            kind = a.get(MOSIX_A_EVENT_KIND)
            if kind is None or struct.unpack("I", kind)[0] != MOSIX_EVENT_JOB_EXITED:
                continue
            f = {n: struct.unpack("I", a[MOSIX_A_JOB[n]])[0] if MOSIX_A_JOB[n] in a else "-"
                 for n in ("home", "num", "uid", "status")}
            print("event job-exited home %s num %s uid %s status %s" %
                  (f["home"], f["num"], f["uid"], f["status"]), flush=True)
            if str(f["num"]) == num:
                return


def outcome(err, ext):
    if err == 0:
        print("OK")
        return 0
    print(errno.errorcode.get(-err, str(-err)), ext)
    return 1


def batch():
    for line in sys.stdin:
        argv = [re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), a)
                for a in shlex.split(line)]
        if not argv:
            continue
        main(argv)
        sys.stdout.flush()
    return 0


def main(argv):
    if not argv:
        sys.exit(__doc__)
    if argv[0] == "batch":
        return batch()
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
        err, ext, _ = g.request(fam, int(argv[1]), raw_attrs(argv[2:]))
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
    if argv[0] == "job-add":
        err, ext, home, num = job_add(g, fam, *argv[1:5])
        if err:
            return outcome(err, ext)
        print("OK home %d num %d" % (home, num))
        return 0
    if argv[0] == "job-where":
        payload = b""
        if argv[1] != "-":
            payload += attr(MOSIX_A_JOB["num"], u32(argv[1]))
        if argv[2] != "-":
            payload += attr(MOSIX_A_JOB["where"], u32(argv[2]))
        err, ext, _ = g.request(fam, MOSIX_CMD["job-where"], payload)
        return outcome(err, ext)
    if argv[0] == "job-exit":
        ev = None
        if "--events" in argv[3:]:
            ev = Genl()
            ev.s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g.mcast["events"])
        err, ext = job_exit(g, fam, argv[1], argv[2])
        rc = outcome(err, ext)
        if ev:
            job_events(ev.s, argv[1], 5)
        return rc
    if argv[0] == "job-churn":
        pid, uid, name, count = argv[1:5]
        first = last = None
        for i in range(int(count)):
            err, ext, _, num = job_add(g, fam, pid, uid, name, "churn %d" % i)
            if not err:
                err, ext = job_exit(g, fam, str(num), str(i))
            if err:
                print("at %d:" % i, end=" ")
                return outcome(err, ext)
            first = num if first is None else first
            last = num
        print("OK first %s last %s" % (first, last))
        return 0
    if argv[0] == "jobs":
        age = "--no-age" not in argv[1:2]
        g.seq += 1
        body = struct.pack("BBH", MOSIX_CMD["get-jobs"], 1, 0) + \
            raw_attrs(argv[1 if age else 2:])
        g.s.send(struct.pack("IHHII", 16 + len(body), fam,
                             NLM_F_REQUEST | NLM_F_DUMP, g.seq, 0) + body)
        lines = []
        while True:
            data = g.s.recv(1 << 20)
            while data:
                ln, typ, fl, seq, pid = struct.unpack("IHHII", data[:16])
                if typ == NLMSG_ERROR:
                    err = struct.unpack("i", data[16:20])[0]
                    ext = ""
                    for t, v in parse_attrs(data[16 + 4 + 16:ln]):
                        if t == NLMSGERR_ATTR_MSG:
                            ext = v.rstrip(b"\0").decode()
                    return outcome(err, ext)
                if typ == NLMSG_DONE:
                    err = struct.unpack("i", data[16:20])[0]
                    if err:
                        return outcome(err, "")
                    if lines:
                        print("\n".join(lines))
                    return 0
                lines.append(job_line(data[16:ln], age))
                data = data[(ln + 3) & ~3:]
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
