"""Report pages in a real browser: headless Chromium over the DevTools protocol.

Opens a county report and the index page, checks there are no console errors
or page exceptions, that every image loaded (``naturalWidth > 0``), that the
index table sorts on a click, and takes a screenshot of each (kept under the
test's tmp folder; set ``IMPACT_SCREENSHOTS=DIR`` to keep copies).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from impact.report import batch
from impact.report.pdf import FLAGS

CHROMIUM = "/usr/bin/chromium"
FIXTURES = Path(__file__).parent / "fixtures"
REPORT_NB = FIXTURES / "report_fixture.ipynb"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="/usr/bin/chromium is absent (Debian: apt-get install -y chromium)"),
]
websocket = pytest.importorskip("websocket", reason="websocket-client is not installed")


class DevTools:
    """A minimal DevTools-protocol client for one page target."""

    def __init__(self, ws_url: str):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def call(self, method: str, **params):
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.time() + timeout
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        while time.time() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("method") == method:
                return msg
            self.events.append(msg)
        raise TimeoutError(method)

    def errors(self) -> list[str]:
        out = []
        for ev in self.events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(json.dumps(p["exceptionDetails"])[:300])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"{p['entry'].get('source')}: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out

    def evaluate(self, expression: str):
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return res["result"].get("value")

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])
        path.write_bytes(data)
        return data

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def browser(tmp_path):
    profile = tmp_path / "profile"
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                             "--window-size=1280,1024", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.time() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.time() > deadline or proc.poll() is not None:
                pytest.fail("Chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        dt = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            dt.call(f"{domain}.enable")
        yield dt
        dt.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _keep(path: Path) -> None:
    folder = os.environ.get("IMPACT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_report_and_index_render_in_chromium(browser, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "programs.csv").write_text(
        "county_code,program,funds\n530824,<script>alert(1)</script>,1000\n530824,茶叶,2500\n530103,b,900\n",
        encoding="utf-8")
    summary = batch.run_all(2024, counties=["530824", "530103"], n_jobs=1, notebook=REPORT_NB,
                            out_root=tmp_path / "r", data_dir=data, processed_dir=tmp_path / "p",
                            progress=False, run_precompute=False)
    assert summary.exit_code == 0, summary.as_text()
    ydir = tmp_path / "r" / "2024"
    report = ydir / "counties" / "530824_景谷傣族彝族自治县.html"

    browser.open(report.as_uri())
    assert browser.errors() == []
    images = browser.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert images and all(done and width > 0 for done, width in images)
    assert browser.evaluate("document.documentElement.lang") == "zh"
    text = browser.evaluate("document.body.innerText")
    assert "<script>alert(1)</script>" in text  # shown as text, not run
    assert browser.evaluate("document.scripts.length") == 0
    shot = tmp_path / "county_report.png"
    width, height = _png_size(browser.screenshot(shot))
    assert width >= 800 and height >= 600
    _keep(shot)

    browser.open((ydir / "index.html").as_uri())
    assert browser.errors() == []
    codes = browser.evaluate("Array.from(document.querySelectorAll('tbody tr td:first-child')).map(td => td.textContent)")
    assert len(codes) >= 2 and codes == sorted(codes)
    browser.evaluate("document.querySelector('th').click()")
    browser.evaluate("document.querySelector('th').click()")  # second click: descending
    desc = browser.evaluate("Array.from(document.querySelectorAll('tbody tr td:first-child')).map(td => td.textContent)")
    assert desc == sorted(codes, reverse=True)
    href = browser.evaluate("document.querySelector('a[href*=\"530824\"]').href")
    assert href.startswith("file://") and href.endswith(".html")
    shot = tmp_path / "index.png"
    _png_size(browser.screenshot(shot))
    _keep(shot)


def test_county_report_prints_to_pdf(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    summary = batch.run_county("530824", 2024, formats=("html", "pdf"), notebook=REPORT_NB,
                               out_root=tmp_path / "r", data_dir=data, processed_dir=tmp_path / "p")
    assert summary.exit_code == 0, summary.as_text()
    pdf = tmp_path / "r" / "2024" / "counties" / "530824_景谷傣族彝族自治县.pdf"
    head = pdf.read_bytes()[:8]
    assert head.startswith(b"%PDF-") and pdf.stat().st_size > 10_000
    assert sorted(p.name for p in pdf.parent.iterdir() if p.name.startswith("."))  == []
