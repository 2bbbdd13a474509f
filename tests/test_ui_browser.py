"""The chat in a real browser (Debian chromium via playwright) and the API via gradio_client.

`ui.py` runs as a subprocess on a free port, building its index and writing feedback under the
test's tmp dir. Skips, saying why, when chromium or playwright is not installed
(`bash scripts/system-deps.sh`; `pip install playwright`; never `playwright install`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "evals" / "reports"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ZH_LEAD = "日间手术比例由哪个单位牵头？"
EN_LEAD = "Which department leads medical service price reform?"
START_TIMEOUT = 240  # seconds: the server builds its index (~5 s here) before it listens
ANSWER_TIMEOUT = 30_000  # ms


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_ui(tmp: Path, *args: str, index: Path | None = None, **env_vars: str) -> SimpleNamespace:
    """Start `ui.py` on a free port with its index and data under `tmp`; wait until it serves.

    Args:
        tmp: directory for the index (unless `index` is given), feedback and the server log.
        args: extra command-line arguments for ui.py.
        index: an index directory to reuse.
        env_vars: extra environment variables (e.g. RAG_UI_AUTH).

    Returns:
        url, port, index, data (the feedback directory), proc and log (the server's output).
    """
    port = free_port()
    index = index or tmp / "index"
    env = {
        **os.environ,
        "RAG_DATA": str(tmp / "data"),
        "RAG_INDEX": str(index),
        "PYTHONUNBUFFERED": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        **env_vars,
    }
    log = tmp / "ui.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "ui.py"), "--port", str(port), *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = wait_until_serving(proc, port, log)
    return SimpleNamespace(url=url, port=port, index=index, data=tmp / "data", proc=proc, log=log)


def wait_until_serving(proc: subprocess.Popen, port: int, log: Path) -> str:
    """Wait for ui.py to answer on `port` and return its URL; fail with its log if it exits or
    is not serving within START_TIMEOUT."""
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ui.py exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as r:
                if r.status == 200:
                    return url
        except OSError:
            time.sleep(0.5)
    stop_ui(proc)
    pytest.fail(f"ui.py did not serve {url} within {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


def stop_ui(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[SimpleNamespace]:
    srv = start_ui(tmp_path_factory.mktemp("ui"))
    yield srv
    stop_ui(srv.proc)
    assert "Traceback" not in srv.log.read_text(), srv.log.read_text()[-3000:]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not found: install it with `bash scripts/system-deps.sh`")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install playwright"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    """A fresh browser context (so a fresh Gradio session) on the chat page."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 1500}, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(ANSWER_TIMEOUT)
    # The page keeps a queue connection open, so it never reaches 'networkidle'.
    pg.goto(server.url, wait_until="domcontentloaded")
    pg.locator("#question textarea").wait_for()
    yield pg
    ctx.close()


def ask(page, question: str):
    """Type a question, press Enter, and return the locator of its answer block."""
    n = page.locator(".rag-answer").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    answer = page.locator(".rag-answer").nth(n)
    answer.wait_for()
    return answer


def test_chinese_and_english_answers_show_lead_unit_and_citation(page, tmp_path):
    zh = ask(page, ZH_LEAD)
    assert zh.locator(".rag-cite mark", has_text="省卫生健康委").count() >= 1
    assert (
        "浙江省推动公立医院高质量发展实施方案" in zh.locator(".rag-cite-title").first.inner_text()
    )
    assert "000/二/（三）/1" in zh.locator(".rag-cite-path code").first.inner_text()
    assert "牵头单位" in zh.locator(".rag-text").inner_text()

    en = ask(page, EN_LEAD)
    text = en.locator(".rag-text").inner_text()
    assert "省医保局" in text and "Healthcare Security Administration" in text
    assert en.locator(".rag-cite mark", has_text="省医保局").count() >= 1
    assert "Sources" in en.inner_text()

    # the full clause opens from its <details>
    details = zh.locator("details.rag-full").first
    details.locator("summary").click()
    assert details.get_attribute("open") is not None
    assert "日间手术" in details.locator(".rag-full-text").inner_text()

    page.wait_for_timeout(300)  # let the scroll settle before the picture
    shot = tmp_path / "chat.png"
    page.screenshot(path=str(shot), full_page=True)
    page.locator("#chat").screenshot(path=str(tmp_path / "chat-only.png"))
    REPORTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, REPORTS / "ui-screenshot.png")


def test_follow_up_in_the_same_session(page):
    first = ask(page, "湖州2024年CMI目标是多少？")
    assert first.locator(".rag-quote mark", has_text="1.05").count() == 1
    second = ask(page, "那2025年呢？")
    assert "2025" in second.locator(".rag-text").inner_text()
    assert second.locator(".rag-quote mark", has_text="1.1").count() == 1


def test_plan_filter_and_retrieval_details(page, tmp_path):
    page.get_by_label("绍兴 Shaoxing").check()
    page.get_by_label("显示检索详情 Show retrieval details").check()
    ans = ask(page, "What county-level treatment rate does Shaoxing aim for by 2025?")
    assert "绍兴市卫生健康事业发展" in ans.locator(".rag-cite-title").first.inner_text()
    assert ans.locator(".rag-quote mark", has_text="90").count() >= 1
    table = ans.locator("details.rag-retrieval")
    assert "004" in table.locator("summary").inner_text()
    table.locator("summary").click()
    assert table.locator("tbody tr").count() >= 1
    page.screenshot(path=str(tmp_path / "filter.png"), full_page=True)


def test_refusal_error_and_injection_are_shown_safely(page, tmp_path):
    refused = ask(page, "上海2025年床位数目标是多少？")
    assert "rag-notfound" in refused.get_attribute("class")
    assert "规划中未写明" in refused.locator(".rag-badge").inner_text()
    assert refused.locator("mark").count() == 0

    evil = '<img src=x onerror="window.__pwned=1">日间手术比例由哪个单位牵头？'
    ask(page, evil)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#chat img[src=x]").count() == 0
    assert '<img src=x onerror="window.__pwned=1">' in page.locator("#chat").inner_text()

    error = ask(page, "长" * 2500)
    assert "rag-error" in error.get_attribute("class")
    assert "2,500 characters" in error.inner_text() and "Traceback" not in error.inner_text()
    page.screenshot(path=str(tmp_path / "refusal.png"), full_page=True)


def test_thumbs_down_is_stored_for_evals(page, server):
    feedback = server.data / "feedback.jsonl"
    before = feedback.read_text(encoding="utf-8").count("\n") if feedback.exists() else 0
    ask(page, EN_LEAD)
    # Gradio translates its own labels: the context's zh-CN locale shows 踩 for Dislike
    page.locator("#chat button[aria-label='Dislike'], #chat button[aria-label='踩']").last.click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = feedback.read_text(encoding="utf-8").splitlines() if feedback.exists() else []
        if len(lines) > before:
            break
        time.sleep(0.2)
    row = json.loads(lines[-1])
    assert (row["vote"], row["question"]) == ("down", EN_LEAD)
    assert row["answer"]["lead_unit"] == "省医保局" and row["answer"]["citations"]


def test_api_answers_with_the_json_contract(server):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server.url, verbose=False)
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {
        "/ask"
    }
    out = json.loads(client.predict(ZH_LEAD, "省级 Provincial", api_name="/ask"))
    assert (out["language"], out["found"], out["lead_unit"]) == ("zh", True, "省卫生健康委")
    assert out["citations"][0]["doc"] in {"000", "001", "003"}
    out = json.loads(client.predict(EN_LEAD, api_name="/ask"))  # plan defaults to all plans
    assert (
        out["lead_unit"] == "省医保局"
        and out["units_en"][0] == "Zhejiang Healthcare Security Administration"
    )
    with pytest.raises(AppError, match="the question is empty"):
        client.predict("", "全部 All", api_name="/ask")
    with pytest.raises(AppError, match="unknown plan filter"):
        client.predict(ZH_LEAD, "Beijing", api_name="/ask")


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(addr)
    return found


def test_startup_builds_the_index_and_listens_on_loopback_only(server):
    log = server.log.read_text()
    assert re.search(r"indexing: (\d+)/\1 sentences \(100%\)", log), log[-2000:]
    assert "ready in" in log
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp to read listening sockets from")
    assert _listening(server.port) == {"0100007F"}  # 127.0.0.1, never 0.0.0.0


def test_auth_from_the_environment_guards_page_and_api(server, tmp_path):
    from gradio_client import Client

    srv = start_ui(tmp_path, index=server.index, RAG_UI_AUTH="staff:s3cret")
    try:
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(srv.url + "/config", timeout=10)
        assert denied.value.code == 401
        with pytest.raises(Exception, match="(?i)login|auth|401"):
            Client(srv.url, verbose=False)
        client = Client(srv.url, auth=("staff", "s3cret"), verbose=False)
        out = json.loads(client.predict(EN_LEAD, "全部 All", api_name="/ask"))
        assert out["lead_unit"] == "省医保局"
    finally:
        stop_ui(srv.proc)
