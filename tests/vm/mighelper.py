#!/usr/bin/python3 -S
# SPDX-License-Identifier: GPL-2.0
"""A test driver of the kernel's side of the migration helper protocol: it
registers as the node's migration helper (MOSIX_CMD_MIG_HELPER), logs every
MOSIX_CMD_MIG_WORK the kernel sends, fetches the move's key (MIG_KEY) for
STREAM and RECEIVE, writes its SHA-256 to KEYDIR/ID.ROLE (so that a test can
compare both ends' keys without either key leaving its node), and answers
as told. It moves nothing: it checks what the kernel asks and decides.

  mighelper.py --log FILE [--port P] [--criu 0|1] [--keydir DIR]
               [--on-stream none|fail] [--on-receive none|fail|bad-pid|restore:PIDFILE]

--on-receive restore:PIDFILE reports the pid in PIDFILE (a process the test
started as the job's "restored copy") as RESTORED; bad-pid reports its own pid
first (the kernel must refuse it, EPERM) and then RESTORE_FAILED.
Each log line: "work NAME id ID job H.N uid U [peer A port P image K pid X]",
"key ID ROLE HASH", "report NAME ID -> OK|ERRNO message". SIGTERM ends it.
"""
import errno
import hashlib
import os
import signal
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genl  # noqa: E402

CMD_MIG_HELPER, CMD_MIG_WORK, CMD_MIG_REPORT, CMD_MIG_KEY = 10, 11, 12, 13
A_JOB_HOME, A_JOB_NUM, A_JOB_PID, A_JOB_UID = 30, 31, 33, 34
A_MIG_ID, A_MIG_WORK, A_MIG_PEER_ADDR, A_MIG_PORT = 40, 43, 44, 45
A_MIG_KEY, A_MIG_IMAGE_KB, A_MIG_REPORT, A_MIG_CRIU, A_MIG_TEXT = 46, 47, 48, 51, 52
WORK = {1: "stream", 2: "resume", 3: "commit", 4: "receive", 5: "discard", 6: "run"}
REPORT = {"dump_failed": 1, "restored": 2, "receive_failed": 3, "restore_failed": 4}


def u32(v):
    return struct.pack("I", v)


def u64(v):
    return struct.pack("Q", v)


class Helper:
    def __init__(self, opts):
        self.g = genl.Genl()
        self.fam = self.g.family("mosix")
        self.opts = opts
        self.log = open(opts["--log"], "a", buffering=1)
        self.queue = []

    def request(self, cmd, payload):
        """a request; MIG_WORK messages arriving meanwhile are queued"""
        g = self.g
        g.seq += 1
        body = struct.pack("BBH", cmd, 1, 0) + payload
        g.s.send(struct.pack("IHHII", 16 + len(body), self.fam,
                             genl.NLM_F_REQUEST | genl.NLM_F_ACK, g.seq, 0) + body)
        replies = []
        while True:
            data = g.s.recv(1 << 16)
            while data:
                ln, typ, fl, seq, pid = struct.unpack("IHHII", data[:16])
                if seq != g.seq:
                    self.queue.append(data[16:ln])
                elif typ == genl.NLMSG_ERROR:
                    err = struct.unpack("i", data[16:20])[0]
                    ext = ""
                    for t, v in genl.parse_attrs(data[16 + 4 + 16:ln]):
                        if t == genl.NLMSGERR_ATTR_MSG:
                            ext = v.rstrip(b"\0").decode()
                    return err, ext, replies
                else:
                    replies.append(data[16 + 4:ln])
                data = data[(ln + 3) & ~3:]

    def say(self, line):
        self.log.write(line + "\n")

    def report(self, mid, what, pid=None):
        payload = genl.attr(A_MIG_ID, u64(mid)) + genl.attr(A_MIG_REPORT, u32(REPORT[what]))
        if pid is not None:
            payload += genl.attr(A_JOB_PID, u32(pid))
        err, ext, _ = self.request(CMD_MIG_REPORT, payload)
        self.say("report %s %016x -> %s" % (what, mid, "OK" if not err else
                                            errno.errorcode.get(-err, str(-err)) + " " + ext))
        return err

    def take_key(self, mid, role):
        err, ext, replies = self.request(CMD_MIG_KEY, genl.attr(A_MIG_ID, u64(mid)))
        if err:
            self.say("key %016x %s -> %s %s" % (mid, role, errno.errorcode.get(-err, str(-err)), ext))
            return
        key = dict(genl.parse_attrs(replies[0])).get(A_MIG_KEY, b"")
        h = hashlib.sha256(key).hexdigest()
        self.say("key %016x %s %s len %d" % (mid, role, h, len(key)))
        kd = self.opts.get("--keydir")
        if kd:
            with open(os.path.join(kd, "%016x.%s" % (mid, role)), "w") as f:
                f.write(h + "\n")
        # the key is given once
        err, ext, _ = self.request(CMD_MIG_KEY, genl.attr(A_MIG_ID, u64(mid)))
        self.say("key-again %016x -> %s" % (mid, errno.errorcode.get(-err, "OK") if err else "OK"))

    def work(self, payload):
        cmd = payload[0]
        if cmd != CMD_MIG_WORK:
            return
        a = dict(genl.parse_attrs(payload[4:]))
        num = lambda t: struct.unpack("I", a[t])[0] if t in a else None  # noqa: E731
        mid = struct.unpack("Q", a[A_MIG_ID])[0]
        name = WORK.get(num(A_MIG_WORK), str(num(A_MIG_WORK)))
        line = "work %s id %016x job %s.%s uid %s" % (name, mid, num(A_JOB_HOME),
                                                    num(A_JOB_NUM), num(A_JOB_UID))
        if A_MIG_PEER_ADDR in a:
            fam = socket.AF_INET if len(a[A_MIG_PEER_ADDR]) == 4 else socket.AF_INET6
            line += " peer %s port %s image %d" % (socket.inet_ntop(fam, a[A_MIG_PEER_ADDR]),
                                                 num(A_MIG_PORT),
                                                 struct.unpack("Q", a[A_MIG_IMAGE_KB])[0])
        if A_JOB_PID in a:
            line += " pid %d" % num(A_JOB_PID)
        self.say(line)
        if name == "stream":
            self.take_key(mid, "source")
            if self.opts.get("--on-stream") == "fail":
                self.report(mid, "dump_failed")
        elif name == "receive":
            self.take_key(mid, "target")
            how = self.opts.get("--on-receive", "none")
            if how == "fail":
                self.report(mid, "receive_failed")
            elif how == "bad-pid":
                self.report(mid, "restored", os.getpid())
                self.report(mid, "restore_failed")
            elif how.startswith("restore:"):
                self.report(mid, "restored", int(open(how[8:]).read().split()[0]))

    def run(self):
        payload = (genl.attr(A_MIG_PORT, u32(int(self.opts.get("--port", "7311")))) +
                   genl.attr(A_MIG_CRIU, u32(int(self.opts.get("--criu", "1")))) +
                   genl.attr(A_MIG_TEXT, b"test helper\0"))
        err, ext, _ = self.request(CMD_MIG_HELPER, payload)
        self.say("registered -> %s" % ("OK" if not err else errno.errorcode.get(-err, str(-err)) + " " + ext))
        if err:
            return 1
        while True:
            while self.queue:
                self.work(self.queue.pop(0))
            data = self.g.s.recv(1 << 16)
            while data:
                ln = struct.unpack("I", data[:4])[0]
                self.queue.append(data[16:ln])
                data = data[(ln + 3) & ~3:]


def main(argv):
    opts = dict(zip(argv[0::2], argv[1::2]))
    if "--log" not in opts:
        sys.exit(__doc__)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    return Helper(opts).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
