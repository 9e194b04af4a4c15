#!/usr/bin/env python3
"""Opens a sweep's runs in a real TensorBoard and its HParams tab in headless Chromium.

Usage: hparams_browser.py LOGDIR CHROMIUM. Starts `tensorboard --logdir LOGDIR` on 127.0.0.1,
asks its hparams plugin for the session groups (the dashboard's own request), then loads
http://127.0.0.1:PORT/#hparams in Chromium, driven over the DevTools protocol on a pipe (no
websocket library needed), and waits until the page shows every session. Prints JSON:
{"sessions": [{"name", "hparams": {...}, "metrics": {tag: value}, "status"}], "runs": [...],
 "columns": [hparam, ...], "header": [shown column, ...], "rows": {run: [cell, ...]},
 "page_text": "..."}. Exits 3 after "SKIPPED: ..." when tensorboard is missing.
"""
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    import tensorboard  # noqa: F401  (only to know it is there)
except ImportError as error:
    print(f"SKIPPED: the tensorboard Python package is missing ({error}): pip install tensorboard")
    sys.exit(3)

TIMEOUT = 120  # seconds for TensorBoard to load the runs and for the page to show them


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def session_groups(base, count):
    """The hparams plugin's answer to the dashboard's table request, once it lists `count`."""
    experiment = post_json(f"{base}/data/plugin/hparams/experiment",
                           {"experimentName": "", "includeMetrics": True})
    metric_names = [m["name"] for m in experiment.get("metricInfos", [])]
    request = {
        "experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS",
                                                   "STATUS_FAILURE", "STATUS_RUNNING"],
        "colParams": ([{"hparam": h["name"]} for h in experiment.get("hparamInfos", [])] +
                      [{"metric": m} for m in metric_names]),
        "startIndex": 0, "sliceSize": 1000, "aggregationType": "AGGREGATION_AVG",
        "includeMetrics": True}
    groups = post_json(f"{base}/data/plugin/hparams/session_groups", request)
    return experiment, groups.get("sessionGroups", [])


class DevTools:
    """Chrome DevTools protocol over --remote-debugging-pipe: JSON messages ending in NUL,
    written to the browser's fd 3 and read from its fd 4."""

    def __init__(self, chromium, profile):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # Above 10, so that placing them on 3 and 4 in the child cannot overwrite one another.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w)]

        def place():
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "--window-size=1600,1200", "about:blank"],
            preexec_fn=place, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        for fd in [to_browser_r, from_browser_w] + high:
            os.close(fd)
        self.next_id = 0
        self.buffer = b""

    def call(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                chunk = os.read(self.from_browser, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed its DevTools pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def close(self):
        # The whole group: chromium's helper processes go on writing into its profile otherwise.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


# Every text of the page, shadow roots and same-origin frames included (the dashboard is made of
# Polymer elements, whose content lives in shadow roots that outerHTML and --dump-dom leave out).
PAGE_TEXT = """(() => {
  const out = [];
  const walk = (node) => {
    if (node.tagName === 'STYLE' || node.tagName === 'SCRIPT') return;
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.data.trim();
      if (text) out.push(text);
      return;
    }
    if (node.shadowRoot) walk(node.shadowRoot);
    if (node.tagName === 'IFRAME' && node.contentDocument) walk(node.contentDocument);
    for (const child of node.childNodes) walk(child);
  };
  walk(document);
  return out.join('\\n');
})()"""


def main(logdir, chromium):
    runs = sorted(d for d in os.listdir(logdir) if os.path.isdir(os.path.join(logdir, d)))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    board = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", logdir, "--host", "127.0.0.1",
         "--port", str(port), "--reload_interval", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    browser = None
    try:
        deadline = time.time() + TIMEOUT
        groups = []
        while time.time() < deadline:
            try:
                experiment, groups = session_groups(base, len(runs))
                if len(groups) >= len(runs):
                    break
            except OSError:
                pass
            if board.poll() is not None:
                raise RuntimeError("tensorboard exited: " + board.stderr.read().decode()[-2000:])
            time.sleep(1)
        sessions = []
        for group in groups:
            for session in group["sessions"]:
                sessions.append({
                    "name": session["name"], "hparams": group.get("hparams", {}),
                    "status": session.get("status", "STATUS_UNKNOWN"),
                    "metrics": {m["name"]["tag"]: m["value"] for m in session.get("metricValues", [])}})

        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
            browser = DevTools(chromium, profile)
            target = browser.call("Target.createTarget", {"url": f"{base}/#hparams"})
            session = browser.call("Target.attachToTarget",
                                   {"targetId": target["targetId"], "flatten": True})["sessionId"]
            text = ""
            while time.time() < deadline:
                result = browser.call("Runtime.evaluate", {"expression": PAGE_TEXT,
                                                           "returnByValue": True}, session)
                text = result["result"].get("value", "")
                lines = text.split("\n")
                if f"Number of matching session groups: {len(runs)}" in lines and \
                        all(run in lines for run in runs):
                    break
                time.sleep(1)
            browser.close()
            browser = None
        # The table view: a header of the shown columns after "Show Metrics", then per session
        # group its Trial ID (the run folder) and one line per shown column.
        lines = text.split("\n")
        header, rows = [], {}
        if "Show Metrics" in lines:
            start = lines.index("Show Metrics") + 1
            end = min([lines.index(run) for run in runs if run in lines] or [start])
            header = lines[start:end]
        for run in runs:
            if run in lines:
                i = lines.index(run) + 1
                rows[run] = lines[i:i + len(header)]
        json.dump({"sessions": sessions, "runs": runs,
                   "columns": [h["name"] for h in experiment.get("hparamInfos", [])],
                   "header": header, "rows": rows, "page_text": text}, sys.stdout)
    finally:
        if browser:
            browser.close()
        board.terminate()
        board.wait()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
