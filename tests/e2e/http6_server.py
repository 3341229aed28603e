#!/usr/bin/python3
"""tests/e2e/http6_server.py: an IPv6-only HTTP server for the lab's real servers.

The lab's http.server already holds 0.0.0.0 on the port; a dual-stack socket on [::] would
collide with it, so this one sets IPV6_V6ONLY and serves the same directory (whose index
names the server).

    ip netns exec sl-nat1 /usr/bin/python3 tests/e2e/http6_server.py 8080 /run/sluice-lab/www/nat1
"""

import functools
import http.server
import socket
import sys


class Ipv6OnlyServer(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    server = Ipv6OnlyServer(("::", port), handler)
    print(f"http6_server: serving {directory} on [::]:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
