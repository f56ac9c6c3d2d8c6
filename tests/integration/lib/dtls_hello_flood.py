#!/usr/bin/env python3
"""Sends DTLS 1.2 ClientHellos without a cookie (RFC 6347 section 4.2.1) from many source
ports and counts the HelloVerifyRequests that come back.

usage: dtls_hello_flood.py PORT COUNT SOURCES

Each of SOURCES sockets sends COUNT/SOURCES ClientHellos to 127.0.0.1:PORT. Prints
"sent=N hello_verify=N other=N". A server that keeps no state before the cookie answers
each with a HelloVerifyRequest and nothing else.
"""
import os
import socket
import struct
import sys
import time


def client_hello():
    body = b"\xfe\xfd" + os.urandom(32) + b"\x00" + b"\x00"           # version, random, sid, cookie
    body += struct.pack("!H", 4) + b"\xc0\xae\xc0\xa8"                  # ECDHE-ECDSA / PSK AES128-CCM8
    body += b"\x01\x00"                                                  # compression: null
    ext = b"\x00\x0a\x00\x06\x00\x04\x00\x1d\x00\x17"                    # supported_groups
    ext += b"\x00\x0b\x00\x02\x01\x00"                                   # ec_point_formats
    ext += b"\x00\x0d\x00\x04\x00\x02\x04\x03"                           # signature_algorithms
    body += struct.pack("!H", len(ext)) + ext
    n = len(body)
    hs = b"\x01" + n.to_bytes(3, "big") + b"\x00\x00" + b"\x00\x00\x00" + n.to_bytes(3, "big") + body
    return b"\x16\xfe\xfd" + b"\x00\x00" + b"\x00" * 6 + struct.pack("!H", len(hs)) + hs


def main():
    port, count, sources = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    socks = []
    for _ in range(sources):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        socks.append(s)
    sent = hvr = other = 0
    for i in range(count):
        socks[i % sources].sendto(client_hello(), ("127.0.0.1", port))
        sent += 1
        if i % 20 == 19:
            time.sleep(0.005)
    deadline = time.time() + 2
    while time.time() < deadline:
        got = False
        for s in socks:
            try:
                d = s.recv(2048)
            except BlockingIOError:
                continue
            got = True
            # record type 22 (handshake), handshake type 3 (hello_verify_request)
            if len(d) > 13 and d[0] == 22 and d[13] == 3:
                hvr += 1
            else:
                other += 1
        if not got:
            time.sleep(0.02)
    print("sent=%d hello_verify=%d other=%d" % (sent, hvr, other))


if __name__ == "__main__":
    main()
