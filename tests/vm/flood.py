#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Forged info datagrams as fast as one socket sends them: well-formed headers
claiming PE SENDER (so they pass every check before the HMAC), a wrong tag.
flood.py SRC-ADDR DST-ADDR SENDER SECONDS [RATE/s, default: as fast as it can]; prints "sent N in S s (R/s)"."""
import socket
import struct
import sys
import time


def main():
    src, dst, sender, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 0
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, 0))
    entry = struct.pack(">HBBIIHHIQQQ", sender, 1, 0, 0, 1000, 1, 100, 1000, 1, 1 << 20, 1 << 19)
    body = b"MX" + struct.pack(">BBHHQQ", 1, 1, sender, 1, 1, 1) + entry
    dgram = body + b"\xa5" * 32
    n, t0 = 0, time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        if rate and n > (time.monotonic() - t0) * rate:
            time.sleep(0.001)
            continue
        for _ in range(64):
            try:
                s.sendto(dgram, (dst, 7310))
                n += 1
            except OSError:
                pass
    took = time.monotonic() - t0
    print(f"sent {n} in {took:.1f} s ({n / took:.0f}/s)")


if __name__ == "__main__":
    main()
