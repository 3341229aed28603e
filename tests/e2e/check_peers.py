#!/usr/bin/env python3
"""Peers for the health-check end-to-end tests, run inside a real server's namespace.

  check_peers.py agent PORT REPLY_FILE   a feedback agent: each connection gets the current
                                          content of REPLY_FILE, then the connection closes
  check_peers.py silent PORT              accepts and never sends a byte (nor closes)
  check_peers.py reset PORT               accepts and resets the connection at once
  check_peers.py flood PORT               answers "HTTP/1.0 200 OK" and a 1 MB body
  check_peers.py endless PORT             an agent that sends "50%" without a newline and
                                          never closes

Each serves until killed; the test bounds its life.
"""
import socket
import struct
import sys
import threading
import time


def listen(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(128)
    return s


def agent(conn, reply_file):
    with open(reply_file, "rb") as f:
        conn.sendall(f.read())
    conn.close()


def silent(conn, _):
    time.sleep(600)
    conn.close()


def reset(conn, _):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def flood(conn, _):
    try:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + b"x" * (1 << 20))
    except OSError:
        pass  # the checker stops reading at its bound
    conn.close()


def endless(conn, _):
    try:
        conn.sendall(b"50%")
        time.sleep(600)
    except OSError:
        pass
    conn.close()


MODES = {"agent": agent, "silent": silent, "reset": reset, "flood": flood, "endless": endless}


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    extra = sys.argv[3] if len(sys.argv) > 3 else None
    server = listen(port)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=MODES[mode], args=(conn, extra), daemon=True).start()


if __name__ == "__main__":
    main()
