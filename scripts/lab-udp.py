#!/usr/bin/python3
"""UDP helper of the sluice lab (Debian's /usr/bin/python3, standard library only).

  lab-udp.py serve NAME PORT
      Answer every datagram on 0.0.0.0:PORT with "NAME\\n" (the NAT real servers' responder).

  lab-udp.py ask HOST PORT [--count N] [--first-port P] [--src ADDR] [--timeout S]
      Send N datagrams to HOST:PORT, one at a time, each from its own socket (so each is a new
      flow for the load balancer: source ports P, P+1, ... or kernel-chosen ones), and print one
      line per datagram: the answer's text, "-" if none came within S seconds, or
      "wrong-source ADDR:PORT" if the answer came from somewhere other than HOST:PORT
      (a NAT that forgot to rewrite the source back).
"""
import argparse
import socket
import sys
import time

MAX_COUNT = 10000       # bound every load loop
MAX_TOTAL_SECONDS = 120


def serve(name: str, port: int) -> None:
    reply = (name + "\n").encode()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))
    while True:
        _, peer = sock.recvfrom(2048)
        sock.sendto(reply, peer)


def ask(host: str, port: int, count: int, first_port: int, src: str, timeout: float) -> int:
    if not 1 <= count <= MAX_COUNT:
        print(f"lab-udp: --count must be 1..{MAX_COUNT}", file=sys.stderr)
        return 2
    deadline = time.monotonic() + MAX_TOTAL_SECONDS
    sockets = []  # kept open until the end so that kernel-chosen source ports stay distinct
    try:
        for i in range(count):
            if time.monotonic() > deadline:
                print("lab-udp: total time limit reached", file=sys.stderr)
                return 1
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sockets.append(sock)
            sock.bind((src, first_port + i if first_port else 0))
            sock.settimeout(timeout)
            sock.sendto(b"sluice-lab probe\n", (host, port))
            try:
                data, peer = sock.recvfrom(2048)
            except socket.timeout:
                print("-", flush=True)
                continue
            if peer != (host, port):
                print(f"wrong-source {peer[0]}:{peer[1]}", flush=True)
            else:
                print(data.decode(errors="replace").strip() or "(empty)", flush=True)
    finally:
        for sock in sockets:
            sock.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_serve = sub.add_parser("serve")
    p_serve.add_argument("name")
    p_serve.add_argument("port", type=int)
    p_ask = sub.add_parser("ask")
    p_ask.add_argument("host")
    p_ask.add_argument("port", type=int)
    p_ask.add_argument("--count", type=int, default=1)
    p_ask.add_argument("--first-port", type=int, default=0)
    p_ask.add_argument("--src", default="0.0.0.0")
    p_ask.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
    if args.cmd == "serve":
        serve(args.name, args.port)
        return 0
    return ask(args.host, args.port, args.count, args.first_port, args.src, args.timeout)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
