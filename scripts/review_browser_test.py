#!/usr/bin/env python3
"""Drives the review page of a running `chartex serve` in headless Chromium, over the DevTools
protocol on a pipe (--remote-debugging-pipe: NUL-terminated JSON on file descriptors 3 and 4, no
websocket library needed): signs in with /review?token=, waits for the queue, saves a screenshot
with the evidence box highlighted, accepts the first fact with the "a" key, then corrects the
next one with "e", a new value and Enter. Prints what it did as JSON:
  {"accepted": ID, "corrected": ID, "value": "...", "screenshot": PATH, "evidenceBox": {...}}
Exit 0 when every step happened; the caller checks the store.

Usage: review_browser_test.py --base http://127.0.0.1:PORT --token TOKEN --screenshot OUT.png
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request


class Browser:
    def __init__(self, width=1400, height=1500):
        self.profile = tempfile.mkdtemp(prefix="chartex-chromium-")
        # Chromium's own messages, shown only when the pipe closes early.
        self.log = open(os.path.join(self.profile, "stderr.log"), "w+b")
        commands_r, self.commands_w = os.pipe()
        self.replies_r, replies_w = os.pipe()

        def wire():
            # The child's fds 3 and 4, whatever numbers the pipes got here: copies above them
            # first (a pipe may itself be 3 or 4), then dup2, which makes the targets inheritable.
            r, w = os.dup(commands_r), os.dup(replies_w)
            while r in (3, 4) or w in (3, 4):
                r, w = os.dup(r), os.dup(w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            sys.exit("chromium is not installed (scripts/setup.sh installs it)")
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=wire, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=self.log)
        os.close(commands_r)
        os.close(replies_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.commands_w, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while time.time() < deadline:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        raise TimeoutError(method)

    def read(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.replies_r, 1 << 16)
            if not chunk:
                self.log.seek(0)
                tail = self.log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"chromium closed the DevTools pipe; its stderr:\n{tail}")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def attach(self):
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, timeout=30, what=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(what or expression)

    def key(self, key, code=None, keycode=None, text=None):
        base = {"key": key, "code": code or f"Key{key.upper()}", "windowsVirtualKeyCode": keycode or ord(key.upper())}
        self.send("Input.dispatchKeyEvent", {"type": "keyDown", **base, **({"text": text} if text else {})})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", **base})

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def fact(base, token, fact_id):
    request = urllib.request.Request(f"{base}/api/facts/{fact_id}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)["fact"]


def corrected_value(value):
    """A different value of the same kind where that is safe: a number moves by one; any other value is
    kept as it is (the decision is still a correction, recorded as such)."""
    try:
        number = float(value)
        return str(int(number) + 1) if number.is_integer() else f"{number + 0.1:.1f}"
    except (TypeError, ValueError):
        return (value or "").strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--screenshot", required=True)
    args = parser.parse_args()

    browser = Browser()
    try:
        browser.attach()
        browser.send("Page.navigate", {"url": f"{args.base}/review?token={args.token}"})
        browser.wait("document.body && document.body.dataset.ready === 'true'", 60, "the review page and its queue")
        if browser.evaluate("location.search") != "":
            raise RuntimeError("the token stayed in the address bar")
        first = browser.wait("document.getElementById('fact-card').dataset.factId", 10, "a fact in the queue")
        box = browser.wait("(() => { const b = document.getElementById('evidence-box'); const i = document.getElementById('page-image');"
                           " if (!b || !i.complete || !i.naturalWidth) return null; const r = b.getBoundingClientRect();"
                           " return {left: r.left, top: r.top, width: r.width, height: r.height, imageWidth: i.clientWidth}; })()",
                           60, "the page image with the evidence box")
        # The window is tall enough for a letter page beside the queue: the screenshot shows the
        # fact card, the queue and the whole page image with its boxes.
        browser.evaluate("window.scrollTo(0, 0)")
        time.sleep(0.3)
        shot = browser.send("Page.captureScreenshot", {"format": "png"})
        with open(args.screenshot, "wb") as out:
            out.write(base64.b64decode(shot["data"]))

        # Accept the first fact with the keyboard.
        browser.key("a")
        second = browser.wait(f"(() => {{ const id = document.getElementById('fact-card').dataset.factId;"
                              f" return id && id !== '{first}' ? id : null; }})()", 30, "the next fact after accepting")

        # Correct the next one: e, the new value, Enter.
        value = corrected_value(fact(args.base, args.token, second).get("normalizedValue"))
        browser.key("e")
        browser.wait("!document.getElementById('editor').hidden", 10, "the editor")
        browser.send("Input.insertText", {"text": value})
        browser.key("Enter", code="Enter", keycode=13, text="\r")
        browser.wait(f"(() => {{ const id = document.getElementById('fact-card').dataset.factId;"
                     f" return document.getElementById('editor').hidden && id !== '{second}' ? true : null; }})()",
                     30, "the correction to be saved")
        print(json.dumps({"accepted": int(first), "corrected": int(second), "value": value,
                          "screenshot": args.screenshot, "evidenceBox": box}))
    finally:
        browser.close()


if __name__ == "__main__":
    main()
