#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A plain TCP copy, timed: the baseline of the migration benchmark.
tcpcopy.py recv PORT FILE      accept one connection, write what it sends to FILE (- stdout)
tcpcopy.py send ADDR PORT FILE send FILE (- stdin, as it comes), then print
                               "BYTES bytes in MS ms (MB/s)", timed from the connection
"""
import socket
import sys
import time


def recv(port, path):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    c, _ = ls.accept()
    with (open(path, "wb") if path != "-" else sys.stdout.buffer) as f:
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            f.write(b)
    c.close()


def send(addr, port, path):
    f = open(path, "rb") if path != "-" else sys.stdin.buffer
    for _ in range(100):
        try:
            s = socket.create_connection((addr, port), timeout=60)
            break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit(f"tcpcopy: cannot connect to {addr}:{port}")
    t0, n = time.monotonic(), 0
    while True:
        b = f.read(1 << 20)
        if not b:
            break
        s.sendall(b)
        n += len(b)
    s.shutdown(socket.SHUT_WR)
    # the receiver closes once it has it all
    s.recv(1)
    ms = max((time.monotonic() - t0) * 1000, 0.001)
    print(f"{n} bytes in {ms:.0f} ms ({n / ms / 1000:.1f} MB/s)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "recv":
        recv(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)
