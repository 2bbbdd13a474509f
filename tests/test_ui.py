"""The chat UI's pure parts: HTML rendering, plan filter, handlers and the feedback log.

Answers come from the real chain over the real corpus (the session `assistant` fixture).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

import ui
from rag.corpus import load_manifest
from rag.model import Answer, Citation
from rag.ui_format import (
    PlanFilterError,
    highlight,
    plan_groups,
    render_citation,
    render_error,
    render_question,
    resolve_plan,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
ZH_LEAD = "日间手术比例由哪个单位牵头？"
EN_LEAD = "Which department leads medical service price reform?"
HZ_CMI = "湖州2024年CMI目标是多少？"
SX_RATE = "What county-level treatment rate does Shaoxing aim for by 2025?"
ELSEWHERE = "上海2025年床位数目标是多少？"
INJECTION = '<img src=x onerror="alert(1)"><script>alert(2)</script>日间手术比例由哪个单位牵头？'


@pytest.fixture(scope="module")
def groups():
    return plan_groups(load_manifest(CORPUS))


@pytest.fixture()
def app(assistant, tmp_path):
    return ui.ChatApp(assistant, tmp_path / "data")


def _render(app, ans, show=False):
    return app.render(ans, show)


# -- escaping and highlighting ------------------------------------------------------------


def test_highlight_escapes_text_and_marks_terms():
    out = highlight("<b>省卫生健康委</b> & 省医保局", ["省卫生健康委", "省医保局", ""])
    assert out == "&lt;b&gt;<mark>省卫生健康委</mark>&lt;/b&gt; &amp; <mark>省医保局</mark>"


def test_highlight_prefers_the_longest_term_and_escapes_terms():
    assert highlight("省卫生健康委", ["卫生", "省卫生健康委"]) == "<mark>省卫生健康委</mark>"
    assert highlight("a<b>c", ["<b>"]) == "a<mark>&lt;b&gt;</mark>c"


def test_highlight_never_marks_a_number_inside_a_longer_number():
    out = highlight("0.95 ≥1.0 ≥1.05 ≥1.1 11.15", ["1.1"])
    assert out == "0.95 ≥1.0 ≥1.05 ≥<mark>1.1</mark> 11.15"
    assert highlight("县域就诊率% 90", ["90%", "90"]) == "县域就诊率% <mark>90</mark>"


def test_question_and_error_messages_are_escaped():
    assert render_question(INJECTION).startswith("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;")
    assert "<script>" not in render_question(INJECTION)
    assert render_question("a\n<b>") == "a<br>&lt;b&gt;"
    assert render_question("长" * 5000) == "长" * 600 + " … (5,000)"
    err = render_error("bad <value>", "en")
    assert "bad &lt;value&gt;" in err and "rag-error" in err and "Cannot answer" in err


def test_citation_escapes_corpus_text_and_offers_the_full_clause():
    c = Citation("000", "T<i>", "000/一", "一", "quote <u>省医保局</u>")
    out = render_citation(c, "zh", ["省医保局"], clause_text=lambda cid: "full <s>text</s> quote")
    assert "《T&lt;i&gt;》" in out and "<code>000/一</code>" in out
    assert "quote &lt;u&gt;<mark>省医保局</mark>&lt;/u&gt;" in out
    assert '<details class="rag-full"><summary>查看条款全文</summary>' in out
    assert "full &lt;s&gt;text&lt;/s&gt; quote" in out
    # a quote that is the whole clause needs no disclosure
    assert "<details" not in render_citation(c, "zh", clause_text=lambda cid: c.quote)


# -- answers from the real chain ----------------------------------------------------------


def test_chinese_lead_answer_marks_the_lead_unit_in_the_cited_clause(app, assistant):
    ans = assistant.ask(ZH_LEAD)  # which unit is right is test_chain's business
    assert ans.found and ans.lead_unit
    out = _render(app, ans)
    assert out.startswith('<div class="rag-answer rag-found">')
    assert f"<strong>{ans.lead_unit}</strong>" in out  # in the answer text
    assert f"<mark>{ans.lead_unit}</mark>" in out  # in the quoted clause
    cite = ans.citations[0]
    assert f"《{cite.title}》" in out and f"<code>{cite.clause_id}</code>" in out
    assert "出处" in out and "查看条款全文" in out


def test_english_answer_uses_english_labels_and_titles(app, assistant):
    ans = assistant.ask(EN_LEAD)
    assert ans.found and ans.lead_unit == "省医保局"
    out = _render(app, ans)
    assert "Sources" in out and "Show the full clause" in out
    assert "<mark>省医保局</mark>" in out
    assert "Zhejiang Implementation Plan for Promoting the High-Quality Development" in out


def test_target_answer_marks_the_value_in_the_table_row(app, assistant):
    ans = assistant.ask(HZ_CMI)
    assert ans.found and ans.targets[0]["value"] == "1.05"
    out = _render(app, ans)
    assert "≥<mark>1.05</mark> ≥1.1" in out
    assert "<code>002/附件3/8</code>" in out


def test_refusal_has_its_own_style_and_asserts_nothing(app, assistant):
    ans = assistant.ask(ELSEWHERE)
    assert not ans.found and ans.see_also
    out = _render(app, ans)
    assert out.startswith('<div class="rag-answer rag-notfound">')
    assert "⚠ 规划中未写明" in out and "相近条款" in out
    assert "<mark>" not in out and "<strong>" not in out
    assert all(f"<code>{c.clause_id}</code>" in out for c in ans.see_also)
    en = _render(app, assistant.ask("What bed target does Shanghai set for 2025?"))
    assert "⚠ The plans don't state this" in en


def test_retrieval_details_only_when_asked(app, assistant):
    ans = assistant.ask(ZH_LEAD)
    assert "rag-retrieval" not in _render(app, ans)
    out = _render(app, ans, show=True)
    assert '<details class="rag-retrieval">' in out
    assert all(html_id in out for html_id in (r["clause_id"] for r in ans.retrieval))


def test_corpus_and_question_text_never_reach_the_page_unescaped(app):
    _, history, _, _ = app.respond(INJECTION, [], "全部 All", True, None, {})
    page = "".join(m["content"] for m in history)
    assert "<img" not in page and "<script" not in page
    assert "&lt;img src=x" in page


# -- the plan filter ----------------------------------------------------------------------


def test_plan_groups_come_from_the_manifest(groups):
    assert [(g.label, g.docs) for g in groups] == [
        ("全部 All", ()),
        ("省级 Provincial", ("000", "001", "003")),
        ("湖州 Huzhou", ("002",)),
        ("绍兴 Shaoxing", ("004",)),
    ]


@pytest.mark.parametrize(
    "value, docs",
    [
        ("全部 All", None),
        ("", None),
        (None, None),
        ("all", None),
        ("省级 Provincial", ("000", "001", "003")),
        ("provincial", ("000", "001", "003")),
        ("湖州", ("002",)),
        ("SHAOXING", ("004",)),
        ("002, 004", ("002", "004")),
    ],
)
def test_resolve_plan(groups, value, docs):
    assert resolve_plan(value, groups) == docs


def test_unknown_plan_names_the_choices(groups):
    with pytest.raises(PlanFilterError, match=r"unknown plan filter 'Beijing'.*湖州 Huzhou"):
        resolve_plan("Beijing", groups)


def test_plan_filter_restricts_the_answer(app):
    _, history, _, answers = app.respond(SX_RATE, [], "绍兴 Shaoxing", False, None, {})
    ans = answers[1]["answer"]
    assert ans.found and {c.doc for c in ans.citations} == {"004"}
    assert "<mark>90</mark>" in history[1]["content"]


# -- the chat handlers --------------------------------------------------------------------


def test_follow_up_uses_the_session_conversation(app):
    _, history, conv, answers = app.respond(HZ_CMI, [], "全部 All", False, None, {})
    _, history, conv2, answers = app.respond(
        "那2025年呢？", history, "全部 All", False, conv, answers
    )
    assert conv2 is conv and len(history) == 4
    assert [answers[i]["answer"].targets[0]["value"] for i in (1, 3)] == ["1.05", "1.1"]
    assert [answers[i]["answer"].targets[0]["year"] for i in (1, 3)] == ["2024", "2025"]


def test_sessions_do_not_share_conversations(app):
    _, _, conv_a, _ = app.respond(HZ_CMI, [], "全部 All", False, None, {})
    _, _, conv_b, _ = app.respond(ZH_LEAD, [], "全部 All", False, None, {})
    assert conv_a is not conv_b and len(conv_a.turns) == len(conv_b.turns) == 1


def test_chain_errors_become_readable_chat_messages(app):
    box, history, _, answers = app.respond("长" * 5000, [], "全部 All", False, None, {})
    assert box == "" and answers == {}
    msg = history[1]["content"]
    assert "rag-error" in msg and "无法回答" in msg and "5,000 characters" in msg
    assert "Traceback" not in msg
    _, history, _, _ = app.respond("Who leads day surgery?", [], "Beijing", False, None, {})
    assert "unknown plan filter" in history[1]["content"]


def test_unexpected_failures_do_not_show_a_traceback(app):
    class Broken:
        def ask(self, *a, **k):
            raise KeyError("clause")

    _, history, _, _ = app.respond(ZH_LEAD, [], "全部 All", False, Broken(), {})
    assert "internal error (KeyError)" in history[1]["content"]


def test_empty_input_is_ignored(app):
    assert app.respond("   ", [], "全部 All", False, None, {}) == ("", [], None, {})


def test_toggling_retrieval_details_redraws_answers(app):
    _, history, _, answers = app.respond(ZH_LEAD, [], "全部 All", False, None, {})
    shown = app.rerender(history, True, answers)
    assert "rag-retrieval" in shown[1]["content"] and shown[0] == history[0]
    assert "rag-retrieval" not in app.rerender(shown, False, answers)[1]["content"]


# -- feedback and the API -----------------------------------------------------------------


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_like_writes_question_answer_and_vote(app, tmp_path):
    _, history, _, answers = app.respond(ZH_LEAD, [], "全部 All", False, None, {})
    request = SimpleNamespace(session_hash="s1")
    for liked in (False, True, ""):
        data = gr.LikeData(None, {"index": 1, "value": [history[1]["content"]], "liked": liked})
        app.on_like(answers, data, request)
    app.on_like(answers, gr.LikeData(None, {"index": 0, "value": [], "liked": True}), request)
    rows = _lines(tmp_path / "data" / "feedback.jsonl")
    assert [r["vote"] for r in rows] == ["down", "up", "cleared"]
    first = rows[0]
    assert first["question"] == ZH_LEAD and first["plan"] == "全部 All"
    assert first["session"] == "s1" and first["message_index"] == 1
    assert first["answer"] == ui.answer_json(answers[1]["answer"])
    assert first["answer"]["lead_unit"] and first["answer"]["citations"]
    assert first["time"].endswith("+00:00")


def test_feedback_writer_is_safe_under_concurrency(tmp_path):
    def write(i):
        ui.record_feedback(tmp_path / "fb", {"vote": "up", "question": f"q{i}" * 200})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = _lines(tmp_path / "fb" / ui.FEEDBACK_FILE)
    assert sorted(r["question"] for r in rows) == sorted(f"q{i}" * 200 for i in range(40))


def test_api_ask_returns_plain_json(app):
    out = json.loads(app.api_ask(EN_LEAD, "省级 Provincial"))
    assert out["lead_unit"] == "省医保局" and out["language"] == "en"
    assert {c["doc"] for c in out["citations"]} <= {"000", "001", "003"}
    with pytest.raises(gr.Error, match="the question is empty"):
        app.api_ask("  ")
    with pytest.raises(gr.Error, match="unknown plan filter"):
        app.api_ask(EN_LEAD, "Mars")


def test_answer_json_handles_values_json_cannot(assistant):
    ans = assistant.ask(HZ_CMI)
    assert json.dumps(ui.answer_json(ans), ensure_ascii=False)
    odd = Answer("q", "en", "general", False, "x", slots={"s": {1, 2}, "p": Path("a")})
    assert ui.answer_json(odd)["slots"] == {"s": [1, 2], "p": "a"}


def test_blocks_expose_only_the_ask_endpoint(app):
    demo = ui.build_blocks(app)
    public = {f.api_name for f in demo.fns.values() if f.api_visibility == "public"}
    assert public == {"ask"}


# -- the command line (the only place that reads the environment) -------------------------


def test_args_default_to_localhost_and_read_the_environment(monkeypatch):
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    monkeypatch.delenv("RAG_UI_AUTH", raising=False)
    args = ui._parse_args([])
    assert (args.host, args.port, args.share, args.auth) == ("127.0.0.1", 7860, False, None)
    assert (args.concurrency, args.max_queue) == (4, 64)
    assert args.data.endswith("data")  # RAG_DATA from the autouse fixture
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    monkeypatch.setenv("RAG_UI_AUTH", "staff:secret")
    args = ui._parse_args([])
    assert (args.port, args.auth) == (8123, "staff:secret")
    assert ui._parse_args(["--port", "9000"]).port == 9000


def test_malformed_auth_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("RAG_UI_AUTH", "no-colon")
    with pytest.raises(SystemExit):
        ui._parse_args([])
    assert "must be user:pass" in capsys.readouterr().err
