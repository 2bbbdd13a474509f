"""The running web page (issue 7): files outside Gradio's allowed set, foreign origins, a full
queue, and bad questions over HTTP.

`ui.py` is started as it is deployed: from a working directory that holds its `index/`, its
`data/` and a `.env` with a secret, so relative paths ("index/CURRENT", ".env") point at real
files. Requests go out raw (http.client), so no client normalises "../" away.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.test_reliability import BAD_QUESTIONS, EXPECTED_LEAD, NEVER, TIME_LIMIT, record
from tests.test_ui_browser import free_port, stop_ui, wait_until_serving

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
CANARY = "canary-7f3e9a-do-not-serve"
SLOW_QUESTION = "日间手术比例由哪个单位牵头" * 153  # just under the length limit: the slowest valid


def start_app(cwd: Path, *args: str, log_name: str = "ui.log") -> SimpleNamespace:
    """`python ui.py --index index --corpus <repo corpus> ARGS` run from `cwd`, on a free port."""
    port = free_port()
    env = {**os.environ, "RAG_DATA": str(cwd / "data"), "PYTHONUNBUFFERED": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    env.pop("RAG_UI_AUTH", None)
    log = cwd / log_name
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "ui.py"), "--port", str(port), "--index", "index",
             "--corpus", str(CORPUS), *args],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = wait_until_serving(proc, port, log)
    return SimpleNamespace(url=url, port=port, cwd=cwd, proc=proc, log=log)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("site")
    (cwd / ".env").write_text(f"RAG_SECRET={CANARY}\n", encoding="utf-8")
    srv = start_app(cwd)
    yield srv
    stop_ui(srv.proc)
    assert _unexpected_tracebacks(srv.log.read_text()) == 0, srv.log.read_text()[-3000:]


# Gradio 6.31's reverse-proxy route (/gradio_api/proxy=URL) does not catch httpx.InvalidURL,
# so a URL holding %00 gets a bare "500 Internal Server Error" (no bytes of anything) and a
# traceback in the server log. Upstream behaviour, counted in the report; any other traceback
# fails the suite.
UPSTREAM_PROXY_ERROR = "httpx.InvalidURL: Invalid non-printable ASCII character in URL"


def _unexpected_tracebacks(log: str) -> int:
    known = log.count(UPSTREAM_PROXY_ERROR) if "in reverse_proxy" in log else 0
    return log.count("Traceback (most recent call last)") - known


def _raw(srv, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    """One request with the path sent exactly as written; returns (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


# -- files ----------------------------------------------------------------------------------


def _secrets(srv) -> dict[Path, bytes]:
    """Files the page must never serve, each with bytes that would give it away."""
    gen = srv.cwd / "index" / (srv.cwd / "index" / "CURRENT").read_text().strip()
    found = {
        Path("/etc/passwd"): b"root:",
        srv.cwd / ".env": CANARY.encode(),
        srv.cwd / "index" / "CURRENT": gen.name.encode(),
        REPO / "ui.py": b"Gradio chat for the policy assistant",
        REPO / "pyproject.toml": b"zj-policy-rag",
        CORPUS / "manifest.toml": b"shared/seeds/000_dbc0dc4999015e68.txt",
    }
    for name in ("manifest.json", "units.jsonl", "userdict.txt", "vectors.faiss"):
        data = (gen / name).read_bytes()
        found[gen / name] = data[len(data) // 2 : len(data) // 2 + 48]  # from the middle
    return found


def _spellings(srv, target: Path) -> list[str]:
    """Ways to name `target`: absolute, relative to the app's directory, climbing out of
    Gradio's cache directory or the app's, percent-encoded once and twice, and others."""
    from gradio.utils import get_cache_folder

    absolute = str(target)
    out = [absolute, "../" * 12 + absolute.lstrip("/"), f"{get_cache_folder()}/../../..{absolute}",
           "//" + absolute.lstrip("/"), "file://" + absolute, absolute + "%00.png",
           "..\\" * 12 + absolute.lstrip("/").replace("/", "\\")]
    try:
        out.append(str(target.relative_to(srv.cwd)))
        out.append("./" + str(target.relative_to(srv.cwd)))
    except ValueError:
        pass
    encoded = [urllib.parse.quote(s, safe="") for s in out[:3]]
    double = [urllib.parse.quote(s, safe="") for s in encoded[:2]]
    return out + encoded + double + [out[1].replace("../", "%2e%2e/"), out[1].replace("/", "%2f")]


FILE_ROUTES = [
    "/gradio_api/file=", "/file=", "/gradio_api/file/", "/file/", "/static/", "/assets/",
    "/gradio_api/static/", "/gradio_api/assets/", "/custom_component/x/client/y/",
    "/gradio_api/proxy=", "/favicon.ico/", "/gradio_api/",
]


def test_no_bytes_of_files_outside_the_allowed_set(site):
    """/etc/passwd, the app's .env and index files, its source and corpus, through every route
    that takes a path, with traversal and encodings, GET/HEAD and ranged: never a byte."""
    secrets = _secrets(site)
    statuses: Counter = Counter()
    leaks = []
    tried = 0
    for target in secrets:
        for route in FILE_ROUTES:
            for spelling in _spellings(site, target):
                for method, headers in (("GET", {}), ("HEAD", {}), ("GET", {"Range": "bytes=0-4096"})):
                    if method == "HEAD" or headers:
                        if route not in ("/gradio_api/file=", "/gradio_api/file/"):
                            continue
                    path = route + spelling
                    status, _, body = _raw(site, method, path, headers)
                    tried += 1
                    statuses[status] += 1
                    # (an error may echo the requested path, which can hold a generation name)
                    asked = urllib.parse.unquote(urllib.parse.unquote(path)).encode()
                    tells = [t for t in secrets.values() if t not in asked]
                    if any(t in body for t in tells) or status in (200, 206) and "file" in route:
                        leaks.append((status, path, body[:120]))
    assert leaks == [], leaks[:5]
    log = site.log.read_text()
    assert _unexpected_tracebacks(log) == 0, log[-3000:]
    record("web/files", {"requests": tried, "files": len(secrets), "bytes_leaked": 0,
                         "statuses": {str(k): v for k, v in sorted(statuses.items())},
                         "gradio_proxy_500s_on_nul_urls": log.count(UPSTREAM_PROXY_ERROR)})


class _Canary(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = f"internal service {CANARY}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_page_is_no_proxy_to_local_services(site):
    """file= and proxy= with a URL to a service on this machine return none of its bytes."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canary)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        inner = f"http://127.0.0.1:{server.server_address[1]}/secret"
        with urllib.request.urlopen(inner, timeout=5) as r:
            assert CANARY.encode() in r.read()  # the service is up
        for route in ("/gradio_api/file=", "/gradio_api/proxy=", "/file=", "/proxy="):
            for url in (inner, urllib.parse.quote(inner, safe=""), inner.replace("127.0.0.1", "localhost")):
                status, _, body = _raw(site, "GET", route + url)
                assert CANARY.encode() not in body and status != 200, (route + url, status, body[:100])
    finally:
        server.shutdown()


# -- origins --------------------------------------------------------------------------------

FOREIGN = ["https://evil.example", "http://evil.example:7860", "null",
           "http://localhost.evil.example", "http://127.0.0.1.evil.example"]


def test_foreign_origins_get_no_cross_origin_grant(site):
    """Gradio's intent for an app on localhost: only localhost origins get CORS headers, so a
    page on another site can neither read a response nor pass a preflight; a form-style
    "simple" POST (no preflight) is rejected by the API's JSON-only body."""
    ask = {"data": ["日间手术比例由哪个单位牵头？", "全部 All"]}
    for own in (site.url, site.url.replace("127.0.0.1", "localhost")):
        _, h, _ = _raw(site, "OPTIONS", "/gradio_api/call/ask",
                       {"Origin": own, "Access-Control-Request-Method": "POST"})
        assert h.get("access-control-allow-origin") == own  # the control: own origin allowed
    checked = 0
    for origin in FOREIGN:
        for path in ("/gradio_api/call/ask", "/gradio_api/queue/join", "/gradio_api/upload"):
            status, h, _ = _raw(site, "OPTIONS", path, {
                "Origin": origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type"})
            assert "access-control-allow-origin" not in h, (origin, path, h)
            checked += 1
        for path in ("/config", "/gradio_api/info", "/"):
            _, h, _ = _raw(site, "GET", path, {"Origin": origin})
            assert "access-control-allow-origin" not in h, (origin, path)
            checked += 1
        status, h, body = _raw(site, "POST", "/gradio_api/call/ask",
                               {"Origin": origin, "Content-Type": "application/json"},
                               json.dumps(ask).encode())
        assert "access-control-allow-origin" not in h  # queued, but the page cannot read it
        for ctype in ("text/plain", "application/x-www-form-urlencoded"):
            status, h, body = _raw(site, "POST", "/gradio_api/call/ask",
                                   {"Origin": origin, "Content-Type": ctype},
                                   json.dumps(ask).encode())
            assert status == 422 and b"event_id" not in body, (origin, ctype, status, body[:100])
            checked += 1
    record("web/origins", {"foreign_origins": len(FOREIGN), "requests": checked,
                           "granted": 0, "simple_posts_accepted": 0})


# -- a full queue ---------------------------------------------------------------------------


def _rest_ask(http_client, url: str, question: str, plan: str = "全部 All"):
    """('complete', answer dict) | ('error', message) | ('rejected', status and detail)."""
    body = json.dumps({"data": [question, plan]}).encode()  # ASCII escapes: lone surrogates too
    r = http_client.post(f"{url}/gradio_api/call/ask", content=body,
                         headers={"Content-Type": "application/json"})
    if r.status_code != 200:
        return "rejected", f"{r.status_code} {r.json().get('detail')}"
    with http_client.stream("GET", f"{url}/gradio_api/call/ask/{r.json()['event_id']}") as s:
        lines = list(s.iter_lines())
    for kind in ("complete", "error"):
        if f"event: {kind}" in lines:
            data = json.loads(lines[lines.index(f"event: {kind}") + 1].removeprefix("data: "))
            return kind, (json.loads(data[0]) if kind == "complete" else data.get("error"))
    return "lost", lines[-3:]


def test_more_requests_than_the_queue_holds_get_a_clear_busy_message(site):
    """`--concurrency 1 --max-queue 1` and bursts of 24 simultaneous questions (12 over REST,
    12 from gradio_client sessions): each is answered correctly or told the queue is full —
    nothing lost, nothing else — and the server answers normally once the burst is over."""
    import httpx
    from gradio_client import Client

    busy = start_app(site.cwd, "--concurrency", "1", "--max-queue", "1", log_name="ui-busy.log")
    try:
        with httpx.Client(timeout=60) as h:
            kind, reference = _rest_ask(h, busy.url, SLOW_QUESTION)
        assert kind == "complete"
        clients = [Client(busy.url, verbose=False) for _ in range(12)]
        outcomes: Counter = Counter()
        messages: set[str] = set()
        lock = threading.Lock()
        for _burst in range(5):
            start = threading.Barrier(24)

            def rest(start=start):
                with httpx.Client(timeout=60) as h:
                    start.wait(timeout=60)
                    kind, out = _rest_ask(h, busy.url, SLOW_QUESTION)
                with lock:
                    if kind == "complete" and out == reference:
                        outcomes["answered"] += 1
                    elif kind == "rejected" and out.startswith("503 Queue is full"):
                        outcomes["busy"] += 1
                        messages.add(out)
                    else:
                        outcomes[f"other: {kind} {str(out)[:80]}"] += 1

            def session(c, start=start):
                start.wait(timeout=60)
                try:
                    out = json.loads(c.predict(SLOW_QUESTION, "全部 All", api_name="/ask"))
                    kind = "answered" if out == reference else "wrong answer"
                except Exception as e:
                    kind = "busy" if "Queue is full" in str(e) else f"other: {type(e).__name__}: {e}"
                    messages.add(f"gradio_client {type(e).__name__}: {e}")
                with lock:
                    outcomes[kind] += 1

            threads = [threading.Thread(target=rest) for _ in range(12)]
            threads += [threading.Thread(target=session, args=(c,)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=300)
            if outcomes["busy"]:
                break
        assert set(outcomes) <= {"answered", "busy"}, outcomes
        assert outcomes["busy"] >= 1 and outcomes["answered"] >= 1, outcomes
        with httpx.Client(timeout=60) as h:
            assert _rest_ask(h, busy.url, SLOW_QUESTION) == ("complete", reference)
        record("web/queue_full", {"max_queue": 1, "concurrency": 1, **outcomes,
                                  "lost": 0, "messages": sorted(messages)})
    finally:
        stop_ui(busy.proc)
    assert _unexpected_tracebacks(busy.log.read_text()) == 0, busy.log.read_text()[-3000:]


# -- bad questions over HTTP ----------------------------------------------------------------


def test_bad_questions_over_http(site):
    """Every bad question through the running app's API: an answer or a readable error
    event, never a 5xx, within a second each; the injected instructions are not obeyed."""
    import httpx

    slowest, outcomes = 0.0, {}
    with httpx.Client(timeout=60) as h:
        _rest_ask(h, site.url, "日间手术比例由哪个单位牵头？")  # the first request sets up the session
        for label, q in BAD_QUESTIONS:
            t0 = time.perf_counter()
            kind, out = _rest_ask(h, site.url, q)
            took = time.perf_counter() - t0
            slowest = max(slowest, took)
            assert took < TIME_LIMIT, f"{label}: {took:.2f}s"
            assert kind in ("complete", "error"), (label, kind, out)
            if kind == "error":
                assert out and ("empty" in out or "limit is 2,000" in out), (label, out)
                outcomes[label] = "error: " + out[:50]
                continue
            if label in EXPECTED_LEAD:
                assert out["lead_unit"] == EXPECTED_LEAD[label], (label, out["answer"])
            assert not any(s in out["answer"] for s in NEVER), (label, out["answer"])
            outcomes[label] = "answered" if out["found"] else "refused"
    record("bad_questions/http", {"tried": len(BAD_QUESTIONS), "crashes": 0, "server_errors": 0,
                                  "slowest_ms": round(1000 * slowest, 1), "outcomes": outcomes})


def test_the_app_announces_no_share_link(site):
    log = site.log.read_text()
    assert "Running on local URL:  http://127.0.0.1:" in log
    assert "gradio.live" not in log and "public URL" not in log.lower()


def test_uploads_beyond_a_few_bytes_are_refused(site):
    """The page takes no files; Gradio's upload route still exists and accepts form posts from
    any site, so ui.py caps uploads (max_file_size) and nothing large lands in its cache."""
    boundary = "----ragtest"
    payload = b"x" * 100_000
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    status, _, resp = _raw(site, "POST", "/gradio_api/upload", {"Content-Type": f"multipart/form-data; boundary={boundary}"}, body)
    assert status >= 400, (status, resp[:200])
