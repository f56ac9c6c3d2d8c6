#!/usr/bin/env python3
"""A UDP relay that drops a share of the datagrams it forwards, in both directions.

usage: udp_loss_relay.py LISTEN_PORT TARGET_PORT LOSS SEED [STATS_FILE]

Listens on 127.0.0.1:LISTEN_PORT; each client address gets its own upstream socket to
127.0.0.1:TARGET_PORT, so the target sees one source per client. Each datagram is dropped
with probability LOSS (0..1) from a generator seeded with SEED, or, when LOSS is "@2,5",
exactly the 2nd and 5th datagrams. On SIGTERM the counts "forwarded=N dropped=N" are written
to STATS_FILE. With RELAY_DEBUG set, every datagram is logged to stderr.
"""
import random
import select
import signal
import socket
import sys
import time
import os


def main():
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    # LOSS "@2,5" drops exactly the 2nd and 5th datagrams (either direction, from 1).
    if sys.argv[3].startswith("@"):
        script, loss = {int(x) for x in sys.argv[3][1:].split(",") if x}, 0.0
    else:
        script, loss = None, float(sys.argv[3])
    rng = random.Random(int(sys.argv[4]))
    stats_file = sys.argv[5] if len(sys.argv) > 5 else None
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", listen_port))
    upstream = {}  # client address -> socket connected to the target
    owner = {}     # upstream socket -> client address
    debug = os.environ.get("RELAY_DEBUG")
    counts = {"forwarded": 0, "dropped": 0}

    def stop(*_):
        if stats_file:
            with open(stats_file, "w") as f:
                f.write("forwarded=%d dropped=%d\n" % (counts["forwarded"], counts["dropped"]))
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    while True:
        ready, _, _ = select.select([front] + list(owner), [], [])
        for s in ready:
            try:
                data, addr = s.recvfrom(65535)
            except OSError:  # ICMP port unreachable from a target not (yet) listening
                continue
            seen = counts["forwarded"] + counts["dropped"] + 1
            drop = seen in script if script is not None else rng.random() < loss
            if debug:
                sys.stderr.write("%.3f %s %d %s\n" % (time.monotonic(), "c>s" if s is front else "s>c", len(data), "DROP" if drop else ""))
            if drop:
                counts["dropped"] += 1
                continue
            counts["forwarded"] += 1
            if s is front:
                up = upstream.get(addr)
                if up is None:
                    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    up.connect(("127.0.0.1", target_port))
                    upstream[addr], owner[up] = up, addr
                try:
                    up.send(data)
                except OSError:
                    pass
            else:
                front.sendto(data, owner[s])


if __name__ == "__main__":
    main()
