"""Lexical tokens for BM25: jieba with a corpus-made user dictionary, numbers kept whole."""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import jieba

from .errors import RagError

jieba.setLogLevel(logging.WARNING)

# Question words and particles carry no topic; everything else (including 牵头, 目标) does.
_STOP = set(
    "的 了 和 与 及 是 在 为 对 由 把 被 将 等 并 或 也 都 就 而 吗 呢 吧 啊 哪 哪个 哪些 哪家 什么 多少 "
    "怎么 如何 是否 有 没有 请问 一下 这个 那个 其 之 以 于 中 上 下 个 年 "
    "the a an of to in on for by and or is are was be what which who whom how does do did "
    "with at as from that this it its plan plans".split()
)
# Intent cues: the chain reads intent from them; as search terms they only add noise
# ("牵头" is in every 牵头医院). Dropped from queries, kept in documents.
QUERY_STOP = set("牵头 单位 负责 部门 责任 目标 多少 达到 要求 谁 哪家 机构 lead leads responsible department target goal aim".split())
RECENT_TEXTS = 256  # tokenised texts remembered (a question's few, not a whole eval's)
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:%|‰)?")
_TOKEN_OK = re.compile(r"[\w%‰]")


def _private_cache_dir() -> str:
    path = Path(tempfile.gettempdir()) / f"rag-jieba-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    st = path.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        raise RagError(f"{path} is not a private directory (owner or permissions); remove it and retry")
    return str(path)


class Tokenizer:
    """A jieba tokenizer that keeps the corpus's own terms (unit and indicator names) whole."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        # jieba caches its parsed dictionary in the shared temp dir, where any local user could
        # plant one; keep it in a directory only this user can write.
        self._jieba.tmp_dir = _private_cache_dir()
        self.words = sorted({w for w in words if 2 <= len(w) <= 30 and " " not in w})
        for w in self.words:
            self._jieba.add_word(w, freq=50_000)
        # One question's words are segmented several times (search, coverage, target matching)
        # and glossary terms recur: keep the last few hundred texts' tokens.
        self._recent = functools.lru_cache(maxsize=RECENT_TEXTS)(self._tokens)
        # Text that comes from the corpus or the glossary (a term, a clause's lead sentence) is a
        # bounded set that every question draws on: kept for the process's life.
        self._fixed: dict[str, tuple[str, ...]] = {}

    def query(self, text: str, *, fixed: bool = False) -> list[str]:
        """Tokens of a question: as for documents, minus intent cue words. `fixed`: `text` is
        from the corpus or the glossary, not the user (see `__call__`)."""
        return [t for t in self._get(text, fixed) if t not in QUERY_STOP]

    def __call__(self, text: str, *, fixed: bool = False) -> list[str]:
        """Tokens of `text`: search-mode jieba words, whole numbers with % attached, lowercase.
        `fixed`: `text` is from the corpus or the glossary; its tokens are kept for good, not
        only among the last RECENT_TEXTS texts."""
        return list(self._get(text, fixed))

    def whole_words(self, text: str) -> list[str]:
        """`text` cut into whole words (jieba's accurate mode, no search-mode sub-words): 存活率 is
        one word, not 存活 and 率."""
        return self._jieba.lcut(unicodedata.normalize("NFKC", text).lower())

    def _get(self, text: str, fixed: bool) -> tuple[str, ...]:
        if not fixed:
            return self._recent(text)
        tokens = self._fixed.get(text)
        if tokens is None:
            tokens = self._fixed[text] = self._tokens(text)
        return tokens

    def _tokens(self, text: str) -> tuple[str, ...]:
        text = unicodedata.normalize("NFKC", text).lower()
        tokens: list[str] = []
        for piece in _split_numbers(text):
            if _NUMBER.fullmatch(piece):
                tokens.append(piece)
                continue
            for w in self._jieba.cut_for_search(piece):
                w = w.strip()
                if w and w not in _STOP and _TOKEN_OK.search(w):
                    tokens.append(w)
        return tuple(tokens)


def _split_numbers(text: str) -> list[str]:
    """Cut text so that numbers ("45%", "1.05") are pieces of their own."""
    out, last = [], 0
    for m in _NUMBER.finditer(text):
        if m.start() > last:
            out.append(text[last : m.start()])
        out.append(m.group(0))
        last = m.end()
    if last < len(text):
        out.append(text[last:])
    return out
