"""Gradio chat for the policy assistant: `python ui.py [--port N] [--host H] [--auth user:pass]`.

The edge of the application: it reads environment variables (GRADIO_SERVER_PORT, RAG_UI_AUTH,
RAG_CORPUS, RAG_INDEX, RAG_DATA), builds the index if needed, and serves the same chain the
CLI and the evals use (`rag.chain.load_assistant`). Rendering lives in `rag/ui_format.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import re
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing leaves the machine

import gradio as gr  # noqa: E402

from rag.errors import RagError  # noqa: E402
from rag.model import Answer  # noqa: E402
from rag.ui_format import (  # noqa: E402
    CSS,
    PlanFilterError,
    plan_groups,
    render_answer,
    render_error,
    render_question,
    resolve_plan,
)

log = logging.getLogger("rag.ui")

FEEDBACK_FILE = "feedback.jsonl"
EXAMPLES = [
    "日间手术比例由哪个单位牵头？",
    "湖州2024年CMI目标是多少？",
    "那2025年呢？",
    "Which department leads medical service price reform?",
    "What county-level treatment rate does Shaoxing aim for by 2025?",
    "深化人事薪酬制度改革的责任单位有哪些？",
]
_CJK = re.compile(r"[\u3400-\u9fff]")
_feedback_lock = threading.Lock()


def answer_json(ans: Answer) -> dict[str, Any]:
    """`Answer.to_json()` made safe for `json.dumps` (slots may hold dataclasses)."""
    return json.loads(json.dumps(ans.to_json(), ensure_ascii=False, default=_jsonable))


def _jsonable(v: Any) -> Any:
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return dataclasses.asdict(v)
    if isinstance(v, set | frozenset):
        return sorted(v)
    return str(v)


def record_feedback(data_dir: str | Path, record: dict[str, Any]) -> Path:
    """Append one feedback record (with a UTC timestamp) to `<data_dir>/feedback.jsonl`.

    Args:
        data_dir: the data directory (created if missing).
        record: question, answer JSON, vote and whatever else identifies the message.

    Returns:
        The feedback file's path.
    """
    path = Path(data_dir) / FEEDBACK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {"time": datetime.now(UTC).isoformat(timespec="seconds"), **record},
        ensure_ascii=False,
        default=_jsonable,
    )
    with _feedback_lock, path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
    return path


def _vote(liked: Any) -> str:
    """Gradio's like payload: True (Like), False (Dislike), "" (cleared) or a custom option."""
    if liked is True:
        return "up"
    if liked is False:
        return "down"
    return str(liked) if liked else "cleared"


class ChatApp:
    """The UI's handlers around one Assistant; each browser session keeps its own Conversation.

    Args:
        assistant: from `rag.chain.load_assistant`.
        data_dir: where feedback is written.
    """

    def __init__(self, assistant: Any, data_dir: str | Path) -> None:
        self.assistant = assistant
        self.data_dir = Path(data_dir)
        self.docs = dict(assistant.docs)
        self.groups = plan_groups(self.docs.values())

    def clause_text(self, clause_id: str) -> str | None:
        c = self.assistant.clauses.get(clause_id)
        return c.text if c else None

    def render(self, ans: Answer, show_retrieval: bool) -> str:
        return render_answer(
            ans, show_retrieval=show_retrieval, docs=self.docs, clause_text=self.clause_text
        )

    def respond(
        self,
        message: str,
        history: list | None,
        plan: str,
        show: bool,
        conv: Any,
        answers: dict | None,
    ):
        """Chat submit: ask within the session's conversation; errors become chat messages."""
        history, answers = list(history or []), dict(answers or {})
        if not (message or "").strip():
            return "", history, conv, answers
        conv = conv or self.assistant.conversation()
        history.append({"role": "user", "content": render_question(message)})
        lang = "zh" if _CJK.search(message) else "en"
        try:
            docs = resolve_plan(plan, self.groups)
            ans = conv.ask(message, docs=list(docs) if docs else None)
            content = self.render(ans, show)
            answers[len(history)] = {"question": message, "plan": plan, "answer": ans}
        except (RagError, PlanFilterError) as e:
            content = render_error(str(e), lang)
        except Exception as e:  # a bug in the chain: log it, keep the chat usable
            log.exception("chain failed on %r", message)
            content = render_error(f"internal error ({type(e).__name__}); see the server log", lang)
        history.append({"role": "assistant", "content": content})
        return "", history, conv, answers

    def rerender(self, history: list | None, show: bool, answers: dict | None):
        """Redraw every answer when "show retrieval details" is toggled."""
        history = list(history or [])
        for i, rec in (answers or {}).items():
            if i < len(history):
                history[i] = {"role": "assistant", "content": self.render(rec["answer"], show)}
        return history

    def on_like(self, answers: dict | None, data: gr.LikeData, request: gr.Request):
        """Thumbs up/down: store the question, the answer JSON and the vote."""
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        rec = (answers or {}).get(index)
        if rec is None:
            return
        record_feedback(
            self.data_dir,
            {
                "vote": _vote(data.liked),
                "question": rec["question"],
                "plan": rec["plan"],
                "session": getattr(request, "session_hash", None),
                "message_index": index,
                "answer": answer_json(rec["answer"]),
            },
        )

    def api_ask(self, question: str, plan: str = "全部 All") -> str:
        """Answer one question (no conversation); returns the `rag ask --json` object as a string.

        plan: 全部 All | 省级 Provincial | 湖州 Huzhou | 绍兴 Shaoxing | document ids ("002").
        A string rather than a dict because gradio_client would take each citation's "path"
        key for a file to download.
        """
        try:
            docs = resolve_plan(plan, self.groups)
            ans = self.assistant.ask(question, docs=list(docs) if docs else None)
        except (RagError, PlanFilterError) as e:
            raise gr.Error(str(e), print_exception=False) from None
        return json.dumps(answer_json(ans), ensure_ascii=False)


def build_blocks(app: ChatApp) -> gr.Blocks:
    """The page: chat, question box, plan filter, retrieval toggle, examples, and the API."""
    with gr.Blocks(title="浙江卫生健康规划问答 · Zhejiang Health Plan Q&A", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(
            "## 浙江卫生健康规划问答 · Zhejiang Health Plan Q&A\n"
            "谁牵头、目标是多少、原文在哪一条——答案均摘自规划原文并注明出处。"
            " · Who leads, what the target is, and the clause that says so — every answer "
            "quotes the plans."
        )
        conv, answers = gr.State(None, time_to_live=6 * 3600), gr.State({}, time_to_live=6 * 3600)
        with gr.Row():
            plan = gr.Radio(
                [g.label for g in app.groups],
                value=app.groups[0].label,
                label="规划范围 Plans",
                scale=3,
            )
            show = gr.Checkbox(False, label="显示检索详情 Show retrieval details", scale=1)
        chatbot = gr.Chatbot(
            label="对话 Chat",
            height="68vh",
            min_height=420,
            render_markdown=False,
            sanitize_html=True,
            latex_delimiters=[],
            feedback_options=("Like", "Dislike"),
            buttons=[],
            placeholder="用中文或英文提问 · Ask in Chinese or English",
            elem_id="chat",
        )
        with gr.Row():
            box = gr.Textbox(
                placeholder="输入问题，回车提问 · Type a question and press Enter",
                show_label=False,
                scale=8,
                autofocus=True,
                elem_id="question",
            )
            ask = gr.Button("提问 Ask", variant="primary", scale=1, min_width=110, elem_id="ask")
            new = gr.Button("新对话 New chat", scale=1, min_width=180)
        gr.Examples([[q] for q in EXAMPLES], inputs=[box], label="示例问题 Examples")

        gr.on(
            [box.submit, ask.click],
            app.respond,
            inputs=[box, chatbot, plan, show, conv, answers],
            outputs=[box, chatbot, conv, answers],
            api_visibility="private",
        )
        new.click(
            lambda: ([], None, {}), outputs=[chatbot, conv, answers], api_visibility="private"
        )
        chatbot.clear(lambda: (None, {}), outputs=[conv, answers], api_visibility="private")
        show.change(app.rerender, [chatbot, show, answers], [chatbot], api_visibility="private")
        chatbot.like(app.on_like, [answers], None, api_visibility="private")
        gr.api(app.api_ask, api_name="ask")
    return demo


def _progress_printer():
    last = [-1]

    def progress(done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if pct // 10 != last[0] // 10 or done == total:
            last[0] = pct
            print(f"indexing: {done}/{total} sentences ({pct}%)", flush=True)

    return progress


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(description="Serve the policy assistant's chat (Gradio).")
    p.add_argument(
        "--port",
        type=int,
        default=int(env("GRADIO_SERVER_PORT", "7860")),
        help="port (env GRADIO_SERVER_PORT, default 7860)",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--share", action="store_true", help="ask Gradio for a public share link")
    p.add_argument("--auth", default=env("RAG_UI_AUTH"), help="user:pass (or env RAG_UI_AUTH)")
    p.add_argument("--corpus", default=env("RAG_CORPUS", "corpus"), help="env RAG_CORPUS")
    p.add_argument("--index", default=env("RAG_INDEX", "index"), help="built if missing or stale")
    p.add_argument("--data", default=env("RAG_DATA", "data"), help="feedback dir (env RAG_DATA)")
    p.add_argument("--concurrency", type=int, default=4, help="answers computed at once")
    p.add_argument("--max-queue", type=int, default=64, help="requests waiting before refusal")
    args = p.parse_args(argv)
    if args.auth and ":" not in args.auth:
        p.error("--auth / RAG_UI_AUTH must be user:pass")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from rag.chain import load_assistant

    t0 = time.perf_counter()
    print(f"loading corpus {args.corpus} and index {args.index} …", flush=True)
    try:
        assistant = load_assistant(
            args.corpus, args.index, rebuild=True, progress=_progress_printer()
        )
        assistant.ask(EXAMPLES[0])  # warm up tokenizer and embedder before the first user
        # The rest of the one-time work (glossary patterns, target wording, ~1 s) goes on while
        # the server starts, so the first questions are as fast as later ones.
        threading.Thread(target=assistant.warm, name="rag-warm", daemon=True).start()
    except RagError as e:
        print(f"ui: {e}", file=sys.stderr)
        return 1
    print(f"ready in {time.perf_counter() - t0:.1f}s", flush=True)
    demo = build_blocks(ChatApp(assistant, args.data))
    demo.queue(default_concurrency_limit=args.concurrency, max_size=args.max_queue)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        auth=auth,
        css=CSS,
        footer_links=["api"],
        show_error=True,
        # The page takes no files: refuse uploads beyond a few bytes (Gradio's upload route is
        # open to any site's form posts); the Blocks clear Gradio's file cache hourly.
        max_file_size="1kb",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
