#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write VALUE to FILE in one write(2) that a signal (SIGINT, SIGTERM, SIGUSR1) may
interrupt; print OK or the errno name.   sigwrite.py FILE VALUE"""
import errno
import os
import signal
import sys


class Interrupted(Exception):
    pass


def on_signal(signum, frame):
    raise Interrupted()


for s in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
    signal.signal(s, on_signal)
fd = os.open(sys.argv[1], os.O_WRONLY)
try:
    os.write(fd, sys.argv[2].encode())
    print("OK")
except Interrupted:
    # the handler ran while write(2) was interrupted: the kernel saw EINTR
    print("EINTR")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
