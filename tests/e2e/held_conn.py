#!/usr/bin/python3
"""Holds one HTTP connection open without sending the request, for the e2e tests.

  held_conn.py HOST PORT --dir DIR [--src ADDR] [--lifetime S] [--answer-timeout S]

Connects to HOST:PORT (from ADDR) and writes "ADDR:LOCALPORT" to DIR/local. The python
http.server real servers wait for the request line, so the connection stays established
and idle. When DIR/go appears it sends "GET /" and writes one line to DIR/result:
  answer BODY          the server's response body (its name)
  no-answer timeout    nothing within --answer-timeout seconds
  no-answer reset      the connection was reset
  no-answer closed     closed without a response
Connection failures go to DIR/local as "connect-failed REASON". Gives up (exit 3) after
--lifetime seconds without DIR/go, so a forgotten helper never outlives its test for long.
"""
import argparse
import os
import socket
import sys
import time


def write_atomic(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--dir", required=True)
    p.add_argument("--src", default="0.0.0.0")
    p.add_argument("--lifetime", type=float, default=180.0)
    p.add_argument("--answer-timeout", type=float, default=3.0)
    a = p.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((a.src, 0))
    sock.settimeout(5.0)
    try:
        sock.connect((a.host, a.port))
    except OSError as e:
        write_atomic(os.path.join(a.dir, "local"), f"connect-failed {e}")
        return 1
    addr, port = sock.getsockname()
    write_atomic(os.path.join(a.dir, "local"), f"{addr}:{port}")

    go = os.path.join(a.dir, "go")
    deadline = time.monotonic() + a.lifetime
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            write_atomic(os.path.join(a.dir, "result"), "no-answer lifetime-exceeded")
            return 3
        time.sleep(0.05)

    data, timed_out, error = b"", False, ""
    try:
        sock.settimeout(a.answer_timeout)
        sock.sendall(f"GET / HTTP/1.0\r\nHost: {a.host}\r\n\r\n".encode())
        end = time.monotonic() + a.answer_timeout
        while time.monotonic() < end:
            try:
                chunk = sock.recv(4096)
            except socket.timeout:
                timed_out = True
                break
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        error = "reset"
    except OSError as e:
        error = e.__class__.__name__
    finally:
        sock.close()
    if b"\r\n\r\n" in data:
        body = data.split(b"\r\n\r\n", 1)[1].decode(errors="replace").strip()
        result = f"answer {body or '(empty)'}"
    elif error:
        result = f"no-answer {error}"
    elif timed_out:
        result = "no-answer timeout"
    else:
        result = "no-answer partial" if data else "no-answer closed"
    write_atomic(os.path.join(a.dir, "result"), result)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
