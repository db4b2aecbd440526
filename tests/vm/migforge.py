#!/usr/bin/python3 -S
# SPDX-License-Identifier: GPL-2.0
"""Forged and replayed migration control messages (format: the UAPI header's
"migration control messages"), sent from this node's table address to a
peer's info port:  migforge.py SELF-IPv4 SELF-PE TARGET-IPv4 TARGET-PE EPOCH KEY-HEX

  bad_tag   an OFFER with one bit of its tag flipped
  offer     a valid OFFER (job SELF.777, uid 65534, 64 KiB), then the same bytes again
  unknown   a valid PREPARED naming a move the target never heard of
EPOCH is the sender's boot epoch (configfs epoch); the sequence numbers are far
above any the node itself used, so the replay rule, not the order, drops the copy."""
import hashlib
import hmac
import socket
import struct
import sys
import time

PORT = 7310


def message(key, mtype, sender, epoch, seq, mid, home, to, job, uid, code,
            nonce_s, nonce_t, arg):
    hdr = b"MX" + struct.pack(">BBHHQQ", 1, mtype, sender, 0, epoch, seq)
    body = struct.pack(">QHHIIHH", mid, home, to, job, uid, code, 0) + nonce_s + nonce_t + \
        struct.pack(">Q", arg)
    m = hdr + body
    return m + hmac.new(key, m, hashlib.sha256).digest()


def main():
    self_ip, self_pe, target, to, epoch, key = sys.argv[1:7]
    self_pe, to, epoch, key = int(self_pe), int(to), int(epoch), bytes.fromhex(key)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((self_ip, 0))
    seq = 1 << 40
    ns, nt = bytes(range(1, 17)), bytes(range(17, 33))
    offer = message(key, 16, self_pe, epoch, seq + 1, 0x1111, self_pe, to, 777, 65534, 0,
                    ns, bytes(16), 64)
    sends = [
        ("bad_tag", offer[:-1] + bytes([offer[-1] ^ 1])),
        ("offer", offer),
        ("offer-replayed", offer),
        ("unknown", message(key, 19, self_pe, epoch, seq + 2, 0x2222, to, to, 778, 0,
                            0, ns, nt, 4242)),
    ]
    for name, d in sends:
        s.sendto(d, (target, PORT))
        print("sent", name, len(d))
        time.sleep(0.3)


if __name__ == "__main__":
    main()
