"""Normalise extracted plan text: characters, page furniture, footnotes, spacing.

Two levels, because tables need the cell spacing that prose must lose:
`clean_lines` keeps each source line (spaces inside it preserved, numbered from 1);
`collapse_spaces` removes the spaces that extraction put between Chinese characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import CorpusError

# CJK punctuation stays full-width (Chinese typography, and what staff paste into memos);
# everything else of compatibility form (full-width digits, Latin letters, ％ ． ＋ ／ ＞) is
# folded by NFKC.
_KEEP_WIDE = set("（）：，；！？【】〔〕《》“”‘’、。—…～")
_PUA_DECIMAL = "\ue010"  # decimal point extracted as a private-use character (001)

_FOOTER = re.compile(r"^[—\-－–]+\s*\d{1,3}\s*[—\-－–]+$")
_RULE = re.compile(r"^欗+$")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_FOOTREF = re.compile(r"\[footnoteRef:\d+\]")
_FOOTNOTE = re.compile(r"\[(\d+):\s*([^\]]*)\]")
_TAIL = re.compile(r"^(抄送|印发|抄报)[:：]")
_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uff0f\uff1a-\uff20\u2018-\u201d\u2014\u2026〔〕"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+|[ \t]+(?=[{_CJK}])")
_SPACE_IN_NUMBER = re.compile(r"(?<=\d\.)[ \t]+(?=\d)")
_SPACE_BEFORE_SIGN = re.compile(r"(?<=\d)[ \t]+(?=[%‰])")
_HALF_PAREN = re.compile(r"\(([^()]{0,40}[\u4e00-\u9fff][^()]{0,40})\)")


@dataclass(frozen=True)
class Line:
    """One cleaned source line: its 1-based number, text, and footnotes removed from it."""

    no: int
    text: str
    notes: tuple[str, ...] = ()


def decode(data: bytes, source: str) -> str:
    """Decode UTF-8 strictly, naming the file and byte offset of the first bad byte.

    Raises:
        CorpusError: the bytes are not UTF-8.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CorpusError(
            f"{source}: not UTF-8 at byte offset {e.start} (byte 0x{data[e.start]:02x}); "
            "convert the file to UTF-8 (e.g. `iconv -f GB18030 -t UTF-8`) and rebuild"
        ) from None
    return text.lstrip("\ufeff")


def normalize_chars(text: str) -> str:
    """Fold full-width digits/letters/symbols, keep CJK punctuation, repair U+E010 decimals."""
    text = text.replace(_PUA_DECIMAL, ".").replace("\u3000", " ").replace("\xa0", " ")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch in _KEEP_WIDE or ch < "\u00a0":
            out.append(ch)
        else:
            out.append(unicodedata.normalize("NFKC", ch))
    text = "".join(out)
    # 004 writes some Chinese headings with ASCII brackets: "(一) 指导思想" → "（一）指导思想".
    # Until none is left, so that normalising again changes nothing: "((一))" → "（（一））".
    while (wide := _HALF_PAREN.sub(r"（\1）", text)) != text:
        text = wide
    return text


def collapse_spaces(text: str) -> str:
    """Remove extraction spacing: between CJK characters, inside "82. 4", before "%"."""
    text = _SPACE_NEAR_CJK.sub("", text)
    text = _SPACE_IN_NUMBER.sub("", text)
    text = _SPACE_BEFORE_SIGN.sub("", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def clean_lines(text: str) -> list[Line]:
    """Split normalised text into non-empty lines without page furniture or the 抄送 tail.

    Word bookmarks and footnote markers are removed; footnote bodies (`[1: …]`) are moved
    to `Line.notes` so the parser can attach them to their clause.
    """
    lines: list[Line] = []
    for no, raw in enumerate(normalize_chars(text).split("\n"), start=1):
        s = _BOOKMARK.sub("", raw)
        s = _FOOTREF.sub("", s)
        notes = tuple(m.group(2).strip() for m in _FOOTNOTE.finditer(s))
        s = _FOOTNOTE.sub("", s).strip()
        if not s and not notes:
            continue
        if _FOOTER.match(s) or _RULE.match(s):
            continue
        if _TAIL.match(collapse_spaces(s)):
            break
        lines.append(Line(no, s, notes))
    return lines
