#!/usr/bin/env python3
"""Drives headless Chromium through the DevTools protocol on a pipe (--remote-debugging-pipe:
no websocket library, no port), for the status page's e2e test (tests/e2e/status_page_test.sh).

  cdp_page.py URL OUTDIR --service NAME --server ADDRESS:PORT [--token T] -- CMD...

Opens URL, waits for the real server's row, screenshots it (OUTDIR/status-before.png), runs
CMD (a sluicectl change), times how long the row takes to change colour without a reload,
screenshots again (OUTDIR/status.png); with --token, then clicks the row's "online" button
after typing the token, waits for it to turn green, types 7 into its weight field, waits
through two refreshes and clicks "weight". Prints one "key: value" line per
finding. Every wait is bounded.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="sluice-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes answers on fd 4.
        self.proc = subprocess.Popen(
            ["sh", "-c", f'exec chromium --headless=new --no-sandbox --disable-gpu '
                         f'--remote-debugging-pipe --user-data-dir={self.profile} '
                         f'--window-size=1280,720 about:blank 3<&{to_chrome_r} 4>&{from_chrome_w}'],
            pass_fds=(to_chrome_r, from_chrome_w), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def call(self, method, params=None, timeout=15):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" not in self.buffer:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
        raise RuntimeError(f"{method}: no answer within {timeout} s")

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.navigate", {"url": url})

    def js(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result.get("result", {}).get("value")

    def wait_for(self, expression, limit):
        """Polls `expression` every 20 ms until it is truthy; its value, or None after limit s."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.02)
        return None

    def screenshot(self, path):
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]  # the whole page
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.call("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": True, "clip": clip})
        with open(path, "wb") as f:
            f.write(base64.b64decode(data["data"]))

    def close(self):
        try:
            self.session = None
            self.call("Browser.close", timeout=5)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        subprocess.run(["rm", "-rf", self.profile], check=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("outdir")
    parser.add_argument("--service", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--token")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    row = (f"document.querySelector('tbody[data-service=\"{args.service}\"] "
           f"tr[data-server=\"{args.server}\"]')")
    colour = f"(({row}) ? ({row}).className.replace('rip ', '') : '')"
    browser = Browser()
    try:
        browser.open(args.url)
        if not browser.wait_for(f"!!{row}", 15):
            print("rendered: no")
            return
        servers = browser.js("document.querySelectorAll('tr.rip').length")
        print(f"rendered: {servers} servers")
        print(f"title: {browser.js('document.title')}")
        before = browser.js(colour)
        print(f"before: {before}")
        browser.js("window.sluiceMarker = 1")  # gone if the page reloads
        browser.screenshot(os.path.join(args.outdir, "status-before.png"))
        start = time.monotonic()
        subprocess.run(args.command, check=True, stdout=subprocess.DEVNULL)
        after = browser.wait_for(f"{colour} !== '{before}' && {colour}", 5)
        print(f"after: {after} in {int((time.monotonic() - start) * 1000)} ms")
        print(f"reloaded: {'no' if browser.js('window.sluiceMarker') == 1 else 'yes'}")
        browser.screenshot(os.path.join(args.outdir, "status.png"))
        if args.token:
            browser.js("const t = document.getElementById('token');"
                       f"t.value = {json.dumps(args.token)}; t.dispatchEvent(new Event('change'));"
                       f"({row}).querySelector('button[data-state=\"online\"]').click()")
            start = time.monotonic()
            clicked = browser.wait_for(f"{colour} === 'colour-green' && {colour}", 5)
            print(f"clicked online: {clicked} in {int((time.monotonic() - start) * 1000)} ms")
            # An operator types a weight slowly: refreshes meanwhile must not throw it away.
            weight = f"({row}).querySelector('input[aria-label=\"weight\"]')"
            browser.js(f"{weight}.focus(); {weight}.value = '7'")
            time.sleep(2.5)  # two refreshes and more
            print(f"typed weight after refreshes: {browser.js(f'{weight}.value')}")
            browser.js(f"({row}).querySelector('button[data-weight]').click()")
            time.sleep(1)  # the action's answer
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
