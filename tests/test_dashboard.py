"""The offline benchmark dashboard (`make bench-html`): asv's page with its CDN scripts replaced by the
npm copies vendored in vendor/asv-html/, checked file by file, and opened in a real headless chromium
that must fetch nothing from another host and must draw the benchmark graphs.

The browser test builds its own tiny asv site: a throwaway two-commit git repository, this tree's
benchmarks run once each (`asv run --quick --set-commit-hash`, 'small' shape, torch backend), then
`scripts/asv_bench.sh html` (what `make bench-html` runs). Chromium is driven over the DevTools protocol
through --remote-debugging-pipe (standard library only: no driver, no extra package). Screenshots are
kept under artifacts/dashboard/ (gitignored); the test prints their paths.
"""
from __future__ import annotations

import base64
import fcntl
import functools
import http.server
import importlib.util
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "dashboard"


def _offline():
    spec = importlib.util.spec_from_file_location("asv_offline_html", ROOT / "scripts" / "asv_offline_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


offline = _offline()


def _asv_www() -> Path:
    import asv

    return Path(asv.__file__).parent / "www"


# ------------------------------------------------------------------------------------ vendored files
def test_manifest_vendors_every_cdn_url_of_the_installed_asv():
    manifest = offline.load_manifest()  # also checks every file's sha256
    cdn = {url for page in _asv_www().glob("*.html") for url in offline.remote_refs(page.read_text())}
    assert cdn, "asv's www/ loads nothing from a CDN any more: drop vendor/asv-html/"
    assert cdn == set(manifest), (f"asv's CDN URLs changed: not vendored {cdn - set(manifest)}, "
                                  f"stale {set(manifest) - cdn}")


def test_every_vendored_package_ships_its_licence():
    about = json.loads((offline.VENDOR / "MANIFEST.json").read_text())
    for entry in about["files"]:
        licence = offline.VENDOR / entry["license"]
        assert licence.is_file(), f"{entry['npm']}: no licence file {licence}"
        assert "MIT" in licence.read_text() or "Permission is hereby granted" in licence.read_text(), licence
        assert entry["npm"] in about["packages"], entry["npm"]


def test_rewrite_points_at_the_vendored_files_and_keeps_cdn_integrity_where_bytes_match(tmp_path):
    for page in _asv_www().glob("*.html"):
        shutil.copy(page, tmp_path / page.name)
    records = offline.make_offline(tmp_path)
    html = (tmp_path / "index.html").read_text()
    assert offline.remote_refs(html) == []
    assert "https://github.com/airspeed-velocity/asv/" in html  # a link, not a fetch: left alone
    for r in records:
        local = tmp_path / r["local"]
        assert local.is_file() and f'"{r["local"]}"' in html
        m = re.search(rf'"{re.escape(r["local"])}" integrity="([^"]+)"', html)
        assert m and offline._integrity_ok(m.group(1), local.read_bytes()), r
    # jQuery, bootstrap, md5 and orderBars on npm are byte for byte what asv's CDN URLs serve (asv's own
    # SRI hashes match); flot (npm: unminified) and stupidtable (1.0.1 is not on npm) are not.
    same = {r["npm"] for r in records if r["same_bytes_as_cdn"]}
    assert same == {"jquery@3.3.1", "bootstrap@3.1.1", "blueimp-md5@2.19.0", "flot-orderbars@1.0.0"}
    offline.make_offline(tmp_path)  # idempotent: a second run finds nothing left to rewrite


def test_unknown_cdn_url_and_tampered_file_are_named(tmp_path):
    html = '<script src="https://cdn.example.org/lib-9.9.js" integrity="sha256-x"></script>'
    with pytest.raises(offline.OfflineHtmlError, match=r"cdn\.example\.org/lib-9\.9\.js.*does not vendor"):
        offline.rewrite(html, offline.load_manifest())
    vendor = tmp_path / "vendor"
    shutil.copytree(offline.VENDOR, vendor)
    (vendor / "jquery" / "jquery.min.js").write_text("alert(1)")
    with pytest.raises(offline.OfflineHtmlError, match=r"jquery\.min\.js: sha256 differs.*jquery@3\.3\.1"):
        offline.load_manifest(vendor)
    with pytest.raises(offline.OfflineHtmlError, match="no index.html; run `asv publish` first"):
        offline.make_offline(tmp_path / "nothing")


@pytest.mark.parametrize("url, remote", [("https://a.b/x.js", True), ("//cdn.x/y.js", True), ("HTTP://A/", True),
                                         ("vendor/x.js", False), ("asv.js", False), ("file:///x.js", False)])
def test_is_remote(url, remote):
    assert offline.is_remote(url) is remote


# --------------------------------------------------------------------------------- the browser test
def _chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class Chromium:
    """Headless chromium driven over the DevTools protocol on --remote-debugging-pipe (fd 3: commands
    in, fd 4: replies and events out, each message JSON followed by a NUL byte)."""

    FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-default-browser-check", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
             # nothing may leave this machine: every host name but 127.0.0.1 fails to resolve
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]

    def __init__(self, exe: str, profile: Path, log: Path):
        to_child, self._to_chrome = os.pipe()
        self._from_chrome, from_child = os.pipe()
        # the child's ends are moved to fds 3 and 4 by the bash that execs chromium (fds >= 10: no clash)
        a, b = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child, from_child))
        for fd in (to_child, from_child):
            os.close(fd)
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{a} 4>&{b} {a}<&- {b}>&-', exe, *self.FLAGS,
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(a, b), stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        os.close(a), os.close(b)
        self.events: list[dict] = []
        self._inbox: queue.Queue = queue.Queue()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        while chunk := os.read(self._from_chrome, 1 << 16):
            buf += chunk
            *messages, buf = buf.split(b"\0")
            for m in messages:
                self._inbox.put(json.loads(m))
        os.close(self._from_chrome)
        self._inbox.put(None)  # chromium closed the pipe

    def _pump(self, timeout: float) -> dict | None:
        try:
            msg = self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None
        if msg is None:
            raise RuntimeError(f"chromium exited (status {self.proc.poll()}); its output: {self.log.name}")
        if "method" in msg:
            self.events.append(msg)
        return msg

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60):
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._pump(deadline - time.monotonic())
            if reply and reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
        raise TimeoutError(f"{method}: no reply from chromium in {timeout} s")

    def wait_event(self, method: str, since: int, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events[since:]:
                if e["method"] == method:
                    return e
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} event in {timeout} s")
            self._pump(0.2)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        self.log.close()


class Page:
    """One tab of a Chromium, attached with a flat session."""

    def __init__(self, browser: Chromium, width: int = 1400, height: int = 900):
        self.b = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method: str, params: dict | None = None, timeout: float = 60):
        return self.b.send(method, params, self.session, timeout)

    def goto(self, url: str) -> None:
        since = len(self.b.events)
        self.call("Page.navigate", {"url": url})
        self.b.wait_event("Page.loadEventFired", since)

    def evaluate(self, expression: str):
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in reply:
            raise RuntimeError(f"page script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def poll(self, expression: str, ok, timeout: float = 90):
        """Evaluate until ok(value) (the page draws asynchronously); the last value either way."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if ok(value) or time.monotonic() > deadline:
                return value
            self.b._pump(0.5)

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"]))
        return path


# Per visible canvas: its size, how many pixels are painted at all, and how many carry one of asv's series
# colours (the graph lines; flot's grid and border are grey/black, so they do not count).
CANVAS_PIXELS = r"""
(() => {
  const hex = $.asv.colors.filter(c => c.toUpperCase() !== '#777777')
    .map(c => [1, 3, 5].map(i => parseInt(c.slice(i, i + 2), 16)));
  return [...document.querySelectorAll('canvas')].filter(cv => cv.width && cv.height && cv.offsetParent)
    .map(cv => {
      const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
      let painted = 0, series = 0;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] === 0) continue;
        painted++;
        if (px[i + 3] > 200
            && hex.some(c => Math.abs(c[0] - px[i]) + Math.abs(c[1] - px[i + 1]) + Math.abs(c[2] - px[i + 2]) < 40))
          series++;
      }
      const box = cv.closest('[id]');
      return {where: box ? box.id : '', width: cv.width, height: cv.height, painted, series};
    });
})()
"""


def _drawn(canvases) -> list[dict]:
    return [c for c in canvases or [] if c["series"] > 0]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):  # the browser's own network log is what the test checks
        pass


def _serve(directory: Path):
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _run(cmd: list[str], env: dict, cwd: Path = ROOT, timeout: int = 900) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)} -> {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def _git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def asv_site(tmp_path_factory) -> Path:
    """A published, offline asv site with real results of this tree's benchmarks on their 'small' shape and
    torch backend at two commits (every benchmark has results: asv's grid requests a graph for each)."""
    tmp = tmp_path_factory.mktemp("asv_site")
    repo = tmp / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for i, day in enumerate(("2026-01-01", "2026-01-02")):
        (repo / "x").write_text(str(i))
        _git(repo, "add", "x")
        _git(repo, "commit", "-q", "-m", f"commit {i}", f"--date={day}T12:00:00")
    commits = _git(repo, "rev-list", "--reverse", "main").split()
    conf = tmp / "asv.conf.json"
    conf.write_text(json.dumps({
        "version": 1, "project": "fcnn-hocp-suite", "project_url": "", "repo": str(repo), "dvcs": "git",
        "branches": ["main"], "environment_type": "existing", "benchmark_dir": str(ROOT / "benchmarks"),
        "env_dir": str(tmp / "env"), "results_dir": str(tmp / "results"), "html_dir": str(tmp / "html"),
        "launch_method": "forkserver"}))
    home = tmp / "home"
    home.mkdir()
    # as scripts/asv_bench.sh runs a tree: this tree's suite first on sys.path, checked by the benchmarks
    env = dict(os.environ, HOME=str(home), PYTHON=sys.executable, ASV_CONFIG=str(conf),
               ASV_PYTHONPATH=str(ROOT), FCNN_BENCH_SRC=str(ROOT))
    asv = [sys.executable, "-m", "asv"]
    _run([*asv, "machine", "--yes", "--config", str(conf)], env)
    for commit in commits:
        _run([*asv, "run", "--config", str(conf), "--set-commit-hash", commit, "--quick", "--show-stderr",
              "--bench", r"\('small', 'torch'\)"], env)
    out = _run([str(ROOT / "scripts" / "asv_bench.sh"), "html"], env)
    assert "CDN references now load vendor/" in out, out
    return tmp / "html"


@pytest.mark.slow
def test_dashboard_renders_offline_in_chromium(asv_site, tmp_path):
    exe = _chromium()
    if exe is None:
        if os.environ.get("FCNN_REQUIRE_BROWSER") == "1":
            pytest.fail("FCNN_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium); set CHROMIUM=/path/to/it")
    html = asv_site.joinpath("index.html").read_text()
    assert offline.remote_refs(html) == [], "the published page still loads from a CDN"
    server = _serve(asv_site)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    browser = Chromium(exe, tmp_path / "profile", tmp_path / "chromium.log")
    shots = []
    try:
        page = Page(browser)
        page.goto(base + "index.html")
        grid = page.poll(CANVAS_PIXELS, _drawn)
        shots.append(page.screenshot(ARTIFACTS / "grid.png"))
        assert page.evaluate("location.pathname") == "/index.html", \
            "asv's js_load_failure() sent the page to error.html"
        assert _drawn(grid), f"no benchmark graph drawn in the grid: {grid}"
        # one benchmark's own page (one that ran: the grid also lists those without results): asv's main graph
        name = page.evaluate("document.querySelector('a.benchmark-container[href$=\".time_forward\"]')"
                             ".getAttribute('href')")
        page.evaluate(f"location.hash = {json.dumps(name)}")
        graph = page.poll(CANVAS_PIXELS, lambda cs: any(c["where"] == "main-graph" for c in _drawn(cs)))
        shots.append(page.screenshot(ARTIFACTS / "graph.png"))
        assert any(c["where"] == "main-graph" for c in _drawn(graph)), f"{name}: main graph not drawn: {graph}"
        page.call("Runtime.evaluate", {"expression": "1"})  # flush the events of the last requests
    finally:
        browser.close()
        server.shutdown()
    print("dashboard screenshots:", *shots)

    events = browser.events
    requests = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in events
                if e["method"] == "Network.requestWillBeSent"}
    foreign = sorted({u for u in requests.values() if not u.startswith((base, "data:", "about:"))})
    assert not foreign, f"the page requested other hosts: {foreign}"
    failed = [(requests.get(e["params"]["requestId"]), e["params"].get("errorText")) for e in events
              if e["method"] == "Network.loadingFailed"]
    assert not failed, f"requests failed: {failed}"
    bad = [(e["params"]["response"]["url"], e["params"]["response"]["status"]) for e in events
           if e["method"] == "Network.responseReceived" and e["params"]["response"]["status"] >= 400]
    assert not bad, f"HTTP errors: {bad}"
    errors = [e["params"] for e in events if e["method"] == "Runtime.exceptionThrown"
              or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert not errors, f"the page logged errors: {errors}"
    loaded = {u[len(base):] for u in requests.values() if u.startswith(base)}
    manifest = offline.load_manifest()
    assert {f"vendor/{e['file']}" for e in manifest.values()} <= loaded, "a vendored library was never loaded"
