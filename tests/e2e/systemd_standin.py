#!/usr/bin/env python3
"""Runs a command as systemd runs a Type=notify service, for machines where systemd is not
PID 1 (the lab, CI): a notify socket (NOTIFY_SOCKET, a unix datagram socket) whose messages
are appended to --notify-log one per line, WATCHDOG_USEC, and stderr connected to a stream
socket named by JOURNAL_STREAM (device:inode), as journald's is, whose lines go to
--journal-log. SIGTERM and SIGINT are passed to the command; the exit status is its own.

    systemd_standin.py --dir DIR --watchdog-usec 1000000 -- COMMAND...
"""
import argparse
import os
import selectors
import signal
import socket
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="where notify.sock, notify.log, journal.log go")
    ap.add_argument("--watchdog-usec", type=int, default=0)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command

    notify_path = os.path.join(a.dir, "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    journal, stderr_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    st = os.fstat(stderr_end.fileno())

    env = dict(os.environ, NOTIFY_SOCKET=notify_path, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    if a.watchdog_usec:
        env["WATCHDOG_USEC"] = str(a.watchdog_usec)
    child = subprocess.Popen(command, env=env, stderr=stderr_end, stdout=stderr_end)
    stderr_end.close()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda signum, _: child.send_signal(signum))

    with open(os.path.join(a.dir, "notify.log"), "a", buffering=1) as notify_log, \
            open(os.path.join(a.dir, "journal.log"), "ab", buffering=0) as journal_log:
        sel = selectors.DefaultSelector()
        sel.register(notify, selectors.EVENT_READ)
        sel.register(journal, selectors.EVENT_READ)
        journal_open = True
        while child.poll() is None or journal_open:
            for key, _ in sel.select(timeout=0.2):
                if key.fileobj is notify:
                    for line in notify.recv(4096).decode(errors="replace").splitlines():
                        notify_log.write(line + "\n")
                else:
                    data = journal.recv(65536)
                    if data:
                        journal_log.write(data)
                    else:
                        sel.unregister(journal)
                        journal_open = False
            if child.poll() is not None and journal_open and not sel.select(timeout=0):
                break
    os.unlink(notify_path)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
