#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile input for the info daemon: a raw UDP sender that crafts datagrams in the
wire format of include/uapi/linux/mosix.h, one per drop reason, plus one valid one
(PE 2, load 4.242) and its replay.   hostile.py TARGET-IPv4 KEY-HEX"""
import hashlib
import hmac
import socket
import struct
import sys
import time

PORT = 7310


def entry(pe, epoch, load=4242, cpus=1, status=1, age=0, mem=1 << 20, free=1 << 19):
    return struct.pack(">HBBIIHHIQQQ", pe, status, 0, age, load, cpus, 100, 1000,
                       epoch, mem, free)


def datagram(key, sender, epoch, seq, entries, version=1, mtype=1, trailer=b""):
    body = b"MX" + struct.pack(">BBHHQQ", version, mtype, sender, len(entries), epoch, seq)
    body += b"".join(entries) + trailer
    return body + hmac.new(key, body, hashlib.sha256).digest()


def main():
    target, key = sys.argv[1], bytes.fromhex(sys.argv[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.99.0.2", 0))
    epoch = time.time_ns()
    good = datagram(key, 2, epoch, 1, [entry(2, epoch)])
    sends = [
        ("valid", good),
        ("replay", good),
        ("bad_tag", good[:-1] + bytes([good[-1] ^ 1])),
        ("truncated", good[:10]),
        ("oversized", datagram(key, 2, epoch, 6, [entry(2, epoch)], trailer=b"\0" * 44)),
        ("oversized", b"\0" * 12000),
        ("bad_version", datagram(key, 2, epoch, 2, [entry(2, epoch)], version=9)),
        ("unknown_pe", datagram(key, 77, epoch, 3, [entry(77, epoch)])),
        ("spoofed_source", datagram(key, 3, epoch, 4, [entry(3, epoch, load=7777)])),
        ("bad_field", datagram(key, 2, epoch, 5, [entry(2, epoch, load=9999, cpus=0)])),
    ]
    for name, d in sends:
        s.sendto(d, (target, PORT))
        print("sent", name, len(d))
        time.sleep(0.2)


if __name__ == "__main__":
    main()
