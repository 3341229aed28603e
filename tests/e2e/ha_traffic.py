#!/usr/bin/python3
"""Traffic for the HA pair e2e test: long-lived connections that keep talking, and a loop of
new connections, timed, so a takeover's cost can be read from what the client saw.

  ha_traffic.py echo --port P
      An echo server (threads, one per connection) for the real servers.
  ha_traffic.py client --held VIP:PORT [...] --loop VIP:PORT [...] --dir DIR [--period S]
      Holds one connection to each --held target and sends it a numbered line every --period
      (0.1 s), expecting it back; opens a new connection to the --loop targets in turn every
      --every seconds (0.05), on a fixed schedule (each in its own thread, 2 s to connect and
      be answered, HTTP/1.0 GET), so the rate of new connections is known.
      Writes DIR/events: one line per loop attempt, "loop START END ok|fail TARGET", and
      per held connection "held TARGET LOCAL ok SENT" or "held TARGET LOCAL broken WHY" when
      it dies (reset, or no echo within 3 s). Runs until DIR/stop appears or --lifetime (300 s) passes; then writes
      DIR/summary: "held TARGET LOCAL alive|broken EXCHANGES" per held connection.
All times are time.monotonic() of this process, also written to DIR/clock at start so the test
can relate its own `date` to them.
"""
import argparse
import os
import socket
import sys
import threading
import time


def serve_echo(port: int) -> int:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(64)

    def echo(conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                conn.sendall(data)

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def endpoint(text: str):
    host, port = text.rsplit(":", 1)
    return host, int(port)


class Log:
    def __init__(self, path: str):
        self.lock = threading.Lock()
        self.f = open(path, "a", buffering=1)

    def line(self, text: str) -> None:
        with self.lock:
            self.f.write(text + "\n")


def held(target: str, period: float, stop: threading.Event, log: Log, results: dict) -> None:
    sock = socket.create_connection(endpoint(target), timeout=5)
    local = "%s:%d" % sock.getsockname()
    results[target] = ["alive", 0, local]
    n = 0
    # A takeover may hold a line back for a retransmission or two (200 ms, 400 ms, ...):
    # 3 s without its echo is a broken connection, as a reset is.
    sock.settimeout(3)
    try:
        while not stop.is_set():
            n += 1
            line = b"%d\n" % n
            sock.sendall(line)
            got = b""
            while len(got) < len(line):
                chunk = sock.recv(len(line) - len(got))
                if not chunk:
                    raise ConnectionError("closed")
                got += chunk
            if got != line:
                raise ConnectionError("wrong echo %r" % got)
            results[target][1] = n
            time.sleep(period)
    except (OSError, ConnectionError) as e:
        results[target][0] = "broken"
        log.line("held %s %s broken %s" % (target, local, type(e).__name__ + ":" + str(e).replace(" ", "_")))
    finally:
        sock.close()


def attempt(target: str, log: Log) -> None:
    start = time.monotonic()
    ok = False
    try:
        with socket.create_connection(endpoint(target), timeout=2) as s:
            s.settimeout(2)
            s.sendall(b"GET / HTTP/1.0\r\nHost: vip\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            ok = data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    log.line("loop %.3f %.3f %s %s" % (start, time.monotonic(), "ok" if ok else "fail", target))


def client(a) -> int:
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "clock"), "w") as f:
        f.write("%.3f %.3f\n" % (time.time(), time.monotonic()))
    log = Log(os.path.join(a.dir, "events"))
    stop = threading.Event()
    results: dict = {}
    threads = []
    for target in a.held:
        t = threading.Thread(target=held, args=(target, a.period, stop, log, results))
        t.start()
        threads.append(t)
    start = time.monotonic()
    deadline = start + a.lifetime
    stop_file = os.path.join(a.dir, "stop")
    i = 0
    while not os.path.exists(stop_file) and time.monotonic() < deadline:
        target = a.loop[i % len(a.loop)]
        i += 1
        threading.Thread(target=attempt, args=(target, log), daemon=True).start()
        time.sleep(max(0.0, start + i * a.every - time.monotonic()))
    stop.set()
    for t in threads:
        t.join(10)
    time.sleep(2.5)  # the last loop attempts end
    with open(os.path.join(a.dir, "summary.tmp"), "w") as f:
        for target in a.held:
            state, n, local = results.get(target, ["broken", 0, "-"])
            f.write("held %s %s %s %d\n" % (target, local, state, n))
    os.replace(os.path.join(a.dir, "summary.tmp"), os.path.join(a.dir, "summary"))
    return 0


def main() -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("echo")
    e.add_argument("--port", type=int, required=True)
    c = sub.add_parser("client")
    c.add_argument("--held", action="append", default=[])
    c.add_argument("--loop", action="append", required=True)
    c.add_argument("--dir", required=True)
    c.add_argument("--period", type=float, default=0.1)
    c.add_argument("--every", type=float, default=0.05)
    c.add_argument("--lifetime", type=float, default=300.0)
    a = p.parse_args()
    return serve_echo(a.port) if a.command == "echo" else client(a)


if __name__ == "__main__":
    sys.exit(main())
