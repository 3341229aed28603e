#!/usr/bin/python3
"""tests/e2e/ipip_decap.py: a user-space IP-in-IP decapsulator for the lab's tun real servers.

A tun real server receives the client's packet inside an outer IPv4 header (protocol 4) sent
by the appliance. Production servers decapsulate in the kernel (the ipip module, tunl0); the
kernel of this machine has no ipip module, so this shim does it instead, inside the real
server's network namespace:

    raw socket (IPPROTO_IPIP)  --strip the outer header-->  TUN device "tunl-sl"

With --ipv6 it does the same for IPv6-in-IPv6 (next header 41), sluice's tun mode for IPv6
services.

The kernel then receives the inner packet as if it had arrived on tunl-sl: it delivers it to
the VIP held on lo, and the server answers the client directly through its normal route.

    ip netns exec sl-dr1 /usr/bin/python3 tests/e2e/ipip_decap.py --ready /tmp/x/dr1.ready

Prints one line when ready and one with its counters when it exits (SIGTERM or SIGINT: status
0). Writes its pid to the --ready file once it receives (the test waits for that file).
Malformed packets (too short, bad header length, inner packet not of the family) are counted and
dropped.
"""

import argparse
import fcntl
import os
import signal
import socket
import struct
import subprocess
import sys

IPPROTO_IPIP = 4
IPPROTO_IPV6 = 41  # IPv6 inside IPv6 (RFC 2473): sluice's tun mode for IPv6 services
TUNSETIFF = 0x400454CA  # _IOW('T', 202, int)
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000  # no 4-byte packet-information prefix: we write bare IP packets


def set_sysctl(path, value):
    with open("/proc/sys/" + path, "w") as f:
        f.write(value)


def open_tun(name):
    """Creates the TUN device NAME (gone again when the fd closes) and brings it up."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    # The server's reply to the client leaves through eth0, not through this device: strict
    # reverse-path filtering would drop every inner packet. The effective value is the
    # maximum of "all" and the device's, so both go to 0. (accept_local is not needed: the
    # inner source is the client, never an address of this server.)
    set_sysctl("net/ipv4/conf/all/rp_filter", "0")
    set_sysctl(f"net/ipv4/conf/{name}/rp_filter", "0")
    # IPv6 on the device too (the lab turns it off for new devices), for --ipv6.
    set_sysctl(f"net/ipv6/conf/{name}/disable_ipv6", "0")
    # No address is needed on the device: the kernel gives every device its IPv4 state, and
    # the VIP lives on lo.
    subprocess.run(["ip", "link", "set", "dev", name, "up"], check=True)
    return fd


def inner_packet(pkt):
    """The inner IPv4 packet of an IP-in-IP packet, or None if malformed."""
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return None
    ihl = (pkt[0] & 0x0F) * 4
    if ihl < 20 or pkt[9] != IPPROTO_IPIP:
        return None
    inner = pkt[ihl:]
    if len(inner) < 20 or inner[0] >> 4 != 4 or (inner[0] & 0x0F) < 5:
        return None
    total = int.from_bytes(inner[2:4], "big")  # the inner header's own total length
    if total < 20 or total > len(inner):
        return None
    return inner[:total]


def inner_packet6(payload):
    """The inner IPv6 packet of what an IPv6 raw socket for protocol 41 received, or None."""
    if len(payload) < 40 or payload[0] >> 4 != 6:
        return None
    length = 40 + int.from_bytes(payload[4:6], "big")
    if length > len(payload):
        return None
    return payload[:length]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", default="tunl-sl", help="TUN device to create (default tunl-sl)")
    ap.add_argument("--ready", help="file to write our pid to once we receive")
    ap.add_argument("--ipv6", action="store_true",
                    help="decapsulate IPv6-in-IPv6 (protocol 41) instead of IP-in-IP")
    args = ap.parse_args()

    counts = {"received": 0, "forwarded": 0, "malformed": 0}

    # SIGTERM/SIGINT interrupt the blocking recv with SystemExit; `finally` reports and closes.
    def stop(signum, _frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    # A raw socket bound to protocol 4 gets every IP-in-IP packet addressed to this host, outer
    # header included. Having a raw listener also keeps the kernel from answering them with
    # ICMP "protocol unreachable" (it has no handler of its own for protocol 4).
    # IPv6 raw sockets deliver the payload without the outer header: the inner packet itself.
    if args.ipv6:
        raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_IPV6)
        unwrap = inner_packet6
    else:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)
        unwrap = inner_packet
    tun = open_tun(args.dev)
    try:
        if args.ready:
            with open(args.ready + ".tmp", "w") as f:
                f.write(f"{os.getpid()}\n")
            os.replace(args.ready + ".tmp", args.ready)
        print(f"ipip_decap: pid {os.getpid()}, decapsulating into {args.dev}", flush=True)
        while True:
            pkt = raw.recv(65535)
            counts["received"] += 1
            inner = unwrap(pkt)
            if inner is None:
                counts["malformed"] += 1
                continue
            try:
                os.write(tun, inner)  # the kernel receives it as if it came in on the device
                counts["forwarded"] += 1
            except OSError:  # the device refused it (e.g. EINVAL); not worth dying for
                counts["malformed"] += 1
    finally:
        print("ipip_decap: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
        os.close(tun)
        raw.close()


if __name__ == "__main__":
    main()
