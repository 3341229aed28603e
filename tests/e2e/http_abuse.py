#!/usr/bin/env python3
"""Hostile HTTP clients for the endpoint's e2e tests (tests/e2e/metrics_test.sh).

  http_abuse.py raw HOST PORT          sends stdin's bytes, prints the answer's status line
                                        ("closed" when the server closed without one)
  http_abuse.py slowloris HOST PORT N LIMIT
                                        opens N connections that trickle a header byte every
                                        0.5 s and never end the request; prints
                                        "closed C of N, the last after S s" once the server
                                        has closed them all, or LIMIT seconds have passed
Every loop is bounded in count and time.
"""
import socket
import sys
import time


def raw(host, port):
    data = sys.stdin.buffer.read()
    s = socket.create_connection((host, port), timeout=5)
    try:
        s.sendall(data)
    except OSError:
        pass  # the server may answer and close before taking it all
    got = b""
    try:
        while b"\r\n" not in got and len(got) < 65536:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    s.close()
    print(got.split(b"\r\n", 1)[0].decode("latin-1") if b"\r\n" in got else "closed")


def slowloris(host, port, n, limit):
    start = time.monotonic()
    conns = []
    for _ in range(n):
        try:
            s = socket.create_connection((host, port), timeout=2)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
            conns.append(s)
        except OSError:
            pass  # refused or not accepted: the endpoint's limits at work
    open_ = {s: None for s in conns}
    closed_at = []
    while open_ and time.monotonic() - start < limit:
        for s in list(open_):
            try:
                s.send(b"X")
                if s.recv(4096) == b"":
                    raise ConnectionResetError
            except BlockingIOError:
                continue
            except OSError:
                closed_at.append(time.monotonic() - start)
                del open_[s]
                s.close()
        time.sleep(0.5)
    for s in open_:
        s.close()
    last = max(closed_at) if closed_at else 0.0
    print(f"opened {len(conns)} closed {len(closed_at)} of {n}, the last after {last:.1f} s")


if __name__ == "__main__":
    if sys.argv[1] == "raw":
        raw(sys.argv[2], int(sys.argv[3]))
    else:
        slowloris(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
