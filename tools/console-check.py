#!/usr/bin/env python3
# SPDX-License-Identifier: EUPL-1.2
"""Load web-console pages in headless Chromium and report what they did.

For every PATH, a fresh tab is opened on BASE+PATH and the script records the
document's HTTP status and title, the final DOM (outerHTML), every network
request (flagging those leaving BASE's origin), failed requests, console
errors / exceptions, and a full-page PNG screenshot saved under --screenshots.
A failing /favicon.ico fetch that Chromium makes on its own (not requested by
the page) is listed in "requests" but not reported as a console error.
The result is one JSON document on stdout; the caller (an end-to-end test)
makes the assertions.  Exit status is 0 when every page was checked, non-zero
(with a message on stderr) when Chromium could not start or a page timed out.

Chromium is driven through the DevTools protocol over --remote-debugging-pipe:
NUL-terminated JSON messages on fds 3 (to the browser) and 4 (from it).  That
transport needs no websocket client, so the script uses the Python standard
library only and can run on any machine with python3 and chromium installed.
"""
import argparse
import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--metrics-recording-only"]
LOCAL_SCHEMES = ("data", "blob", "about")  # never leave the machine


class CheckError(Exception):
    pass


def origin(url):
    u = urllib.parse.urlsplit(url)
    port = u.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(u.scheme)
    return (u.scheme, (u.hostname or "").lower(), port)


class Browser:
    """A Chromium process plus the CDP pipe connection to its browser target."""

    def __init__(self, workdir):
        to_child, self.wfd = os.pipe()
        self.rfd, from_child = os.pipe()

        def wire_fds():  # runs in the child: pipes become fds 3 and 4
            hi_r = fcntl.fcntl(to_child, fcntl.F_DUPFD, 10)
            hi_w = fcntl.fcntl(from_child, fcntl.F_DUPFD, 10)
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.log_path = os.path.join(workdir, "chromium.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [CHROMIUM, *FLAGS, "--user-data-dir=" + os.path.join(workdir, "profile"),
                 "--remote-debugging-pipe", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                preexec_fn=wire_fds, close_fds=False, start_new_session=True)
        os.close(to_child)
        os.close(from_child)
        self.buf = b""
        self.next_id = 0
        self.on_event = lambda msg: None

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.wfd, data):]
        return self.next_id

    def _read(self, deadline, what):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckError("timed out waiting for " + what)
            if select.select([self.rfd], [], [], left)[0]:
                chunk = os.read(self.rfd, 1 << 20)
                if not chunk:
                    raise CheckError("chromium closed the DevTools pipe (exit code %s); "
                                     "see its log:\n%s" % (self.proc.poll(), self.log_tail()))
                self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, deadline=None):
        msg_id = self.send(method, params, session)
        while True:
            msg = self._read(deadline, method)
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise CheckError("%s failed: %s" % (method, msg["error"].get("message")))
                return msg.get("result", {})
            if "method" in msg:
                self.on_event(msg)

    def wait_event(self, predicate, deadline, what):
        while True:
            msg = self._read(deadline, what)
            if "method" in msg:
                self.on_event(msg)
                if predicate(msg):
                    return msg

    def drain(self, seconds):
        """Process events arriving within `seconds` (late console output)."""
        try:
            self.wait_event(lambda m: False, time.monotonic() + seconds, "")
        except CheckError as e:
            if not str(e).startswith("timed out"):
                raise

    def log_tail(self):
        with open(self.log_path, "rb") as f:
            return f.read()[-2000:].decode(errors="replace")

    def close(self):
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=5)
        except Exception:
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own session/group
            except ProcessLookupError:
                pass
            self.proc.wait()
        for fd in (self.wfd, self.rfd):
            os.close(fd)


def remote_text(obj):
    if "value" in obj:
        v = obj["value"]
        return v if isinstance(v, str) else json.dumps(v)
    return obj.get("unserializableValue") or obj.get("description") or obj.get("type", "")


def check_page(browser, base, path, shots_dir, timeout):
    deadline = time.monotonic() + timeout
    url = base + path
    target = browser.call("Target.createTarget", {"url": "about:blank"}, deadline=deadline)
    session = browser.call("Target.attachToTarget",
                           {"targetId": target["targetId"], "flatten": True},
                           deadline=deadline)["sessionId"]
    page = {"path": path, "status": None, "title": None, "html": None, "requests": [],
            "outsideRequests": [], "failedRequests": [], "consoleErrors": [], "screenshot": None}
    urls, favicons = {}, set()
    base_origin = origin(base)

    def on_event(msg):
        if msg.get("sessionId") != session:
            return
        m, p = msg["method"], msg.get("params", {})
        if m == "Network.requestWillBeSent":
            u = p["request"]["url"]
            urls[p["requestId"]] = u
            page["requests"].append(u)
            if p.get("type") == "Other" and urllib.parse.urlsplit(u).path == "/favicon.ico":
                favicons.add(p["requestId"])  # the browser's own implicit fetch
            scheme = urllib.parse.urlsplit(u).scheme
            if scheme not in LOCAL_SCHEMES and origin(u) != base_origin:
                page["outsideRequests"].append(u)
        elif m == "Network.responseReceived":
            if p.get("type") == "Document" and p.get("frameId") == target["targetId"]:
                page["status"] = p["response"]["status"]
        elif m == "Network.loadingFailed":
            page["failedRequests"].append({"url": urls.get(p["requestId"], ""),
                                           "error": p.get("errorText", ""),
                                           "canceled": p.get("canceled", False)})
        elif m == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            text = " ".join(remote_text(a) for a in p.get("args", []))
            page["consoleErrors"].append("console.%s: %s" % (p["type"], text))
        elif (m == "Log.entryAdded" and p["entry"]["level"] == "error"
              and p["entry"].get("networkRequestId") not in favicons):
            e = p["entry"]
            text = "log(%s): %s %s" % (e.get("source"), e.get("text"), e.get("url", ""))
            page["consoleErrors"].append(text.rstrip())
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            text = remote_text(d["exception"]) if "exception" in d else d.get("text", "")
            page["consoleErrors"].append("exception: " + text)

    browser.on_event = on_event
    try:
        for domain in ("Network", "Runtime", "Log", "Page"):
            browser.call(domain + ".enable", session=session, deadline=deadline)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                     session=session, deadline=deadline)
        nav = browser.call("Page.navigate", {"url": url}, session=session, deadline=deadline)
        if nav.get("errorText"):
            raise CheckError("navigating to %s failed: %s" % (url, nav["errorText"]))
        browser.wait_event(lambda m: m["method"] == "Page.loadEventFired"
                           and m.get("sessionId") == session,
                           deadline, "load event of " + url)
        browser.drain(min(0.5, max(0.0, deadline - time.monotonic())))

        def evaluate(expr):
            r = browser.call("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                             session=session, deadline=deadline)
            return r.get("result", {}).get("value")

        page["html"] = evaluate("document.documentElement.outerHTML")
        page["title"] = evaluate("document.title")
        size = browser.call("Page.getLayoutMetrics", session=session,
                            deadline=deadline)["cssContentSize"]
        shot = browser.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": max(size["width"], 1280),
                     "height": max(size["height"], 900), "scale": 1}},
            session=session, deadline=deadline)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", path.strip("/").replace("/", "_")) or "index"
        page["screenshot"] = os.path.join(shots_dir, name + ".png")
        with open(page["screenshot"], "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    finally:
        browser.on_event = lambda msg: None
    browser.call("Target.closeTarget", {"targetId": target["targetId"]},
                 deadline=time.monotonic() + timeout)
    return page


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="e.g. http://127.0.0.1:8080")
    ap.add_argument("--screenshots", required=True, help="directory for <name>.png files")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per page (default 60)")
    ap.add_argument("paths", nargs="+", metavar="PATH")
    args = ap.parse_args()
    base = args.base.rstrip("/")
    os.makedirs(args.screenshots, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="console-check-")
    browser = None
    try:
        try:
            browser = Browser(workdir)
            browser.call("Browser.getVersion", deadline=time.monotonic() + args.timeout)
        except (OSError, CheckError) as e:
            raise CheckError("could not start %s: %s" % (CHROMIUM, e))
        pages = []
        for path in args.paths:
            path = path if path.startswith("/") else "/" + path
            try:
                pages.append(check_page(browser, base, path, args.screenshots, args.timeout))
            except CheckError as e:
                raise CheckError("page %s: %s" % (path, e))
        json.dump({"pages": pages}, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    except CheckError as e:
        print("console-check: " + str(e), file=sys.stderr)
        return 1
    finally:
        if browser:
            browser.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
