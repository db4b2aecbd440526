#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""In a guest with mosix loaded: time to install node tables (median of 30) beside a
tmpfs write of the same bytes, and kernel memory per node entry. Prints figures."""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib.util  # noqa: E402

spec = importlib.util.spec_from_file_location("genl", os.path.join(os.path.dirname(__file__), "genl.py"))
genl = importlib.util.module_from_spec(spec)
spec.loader.exec_module(genl)

CFG = "/sys/kernel/config/mosix"
REPS = 30


def big_map(n):
    return "".join("%d 10.%d.%d.1 1\n" % (i, i // 256, i % 256) for i in range(1, n + 1)).encode()


def small_map(n):
    # short lines, so 256 of them fit one configfs write
    return "".join("%d 1.0.%d.%d 1\n" % (i, i // 256, i % 256) for i in range(1, n + 1)).encode()


def netlink_install(g, fam, text):
    payload = b"".join(genl.attr(genl.MOSIX_A_TABLE_TEXT, text[i:i + 60000])
                       for i in range(0, len(text), 60000))
    t0 = time.perf_counter()
    err, ext, _ = g.request(fam, genl.MOSIX_CMD["set-table"], payload)
    dt = time.perf_counter() - t0
    if err:
        sys.exit("install failed: %d %s" % (err, ext))
    return dt


def configfs_install(text):
    fd = os.open(CFG + "/table", os.O_WRONLY)
    t0 = time.perf_counter()
    os.write(fd, text)
    dt = time.perf_counter() - t0
    os.close(fd)
    return dt


def tmpfs_write(text):
    fd = os.open("/tmp/bench.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    t0 = time.perf_counter()
    os.write(fd, text)
    dt = time.perf_counter() - t0
    os.close(fd)
    return dt


def meminfo():
    m = {}
    for line in open("/proc/meminfo"):
        k, v = line.split(":")
        m[k] = int(v.split()[0])
    return m["Slab"] + m["VmallocUsed"]


def ms(x):
    return "%8.3f ms" % (x * 1000)


def main():
    g = genl.Genl()
    fam = g.family("mosix")
    big = big_map(65535)
    small = small_map(256)
    assert len(small) < 4095
    rows = []
    for name, text, how in (("65535 nodes (netlink)", big, "nl"),
                            ("256 lines (netlink)", small, "nl"),
                            ("256 lines (configfs)", small, "cfs")):
        inst = [netlink_install(g, fam, text) if how == "nl" else configfs_install(text)
                for _ in range(REPS)]
        tmp = [tmpfs_write(text) for _ in range(REPS)]
        rows.append("install %-22s %8d bytes: median %s (p90 %s); tmpfs write of the same bytes %s"
                    % (name, len(text), ms(statistics.median(inst)),
                       ms(sorted(inst)[int(REPS * 0.9)]), ms(statistics.median(tmp))))
    # memory: empty table, settle, then the 65535-node table
    configfs_install(b"\n")
    time.sleep(1)
    before = meminfo()
    netlink_install(g, fam, big)
    time.sleep(1)
    after = meminfo()
    rows.append("memory per node entry: %.1f bytes (slab+vmalloc grew %d kB for 65535 nodes; target <= 64)"
                % ((after - before) * 1024 / 65535, after - before))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
