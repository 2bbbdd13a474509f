"""The BM25 tokenizer: corpus terms kept whole, and its memory of recent texts."""

from __future__ import annotations

from rag.tokenize import RECENT_TEXTS, Tokenizer


def test_corpus_terms_stay_whole_and_numbers_keep_their_sign():
    t = Tokenizer(["省卫生健康委"])
    assert "省卫生健康委" in t("由省卫生健康委牵头，达到45%以上")
    assert "45%" in t("由省卫生健康委牵头，达到45%以上")
    assert "牵头" not in t.query("由省卫生健康委牵头")  # an intent cue, not a search word


def test_remembered_tokens_are_the_same_and_a_fresh_list_each_time():
    t = Tokenizer(["省卫生健康委"])
    text = "日间手术比例由哪个单位牵头？"
    first = t(text)
    first.append("changed by the caller")
    assert t(text) == first[:-1]  # the caller's list is its own
    others = [f"第{i}条任务" for i in range(RECENT_TEXTS + 10)]
    for o in others:
        t(o)
    assert t(text) == first[:-1]  # forgotten and segmented again: the same tokens
    assert Tokenizer(["省卫生健康委"])(text) == first[:-1]


def test_fixed_text_is_kept_for_good_and_questions_are_not():
    t = Tokenizer(["县域就诊率"])
    term, question = "县域就诊率", "县域就诊率到2025年要达到多少？"
    assert t.query(term, fixed=True) == t.query(term)  # the same tokens either way
    assert t(question) == t(question, fixed=True)
    for i in range(RECENT_TEXTS + 10):  # enough other texts to push both out of the recent ones
        t(f"第{i}条任务")
    calls = []
    segment = t._tokens
    t._tokens = lambda text: calls.append(text) or segment(text)
    t._recent = __import__("functools").lru_cache(maxsize=RECENT_TEXTS)(t._tokens)
    t.query(term, fixed=True)
    t(question)
    assert calls == [question]  # the term was kept; the question was segmented again


def test_measure_words_are_tokens_in_questions_and_in_indicator_names():
    from rag.units import MEASURE_WORDS

    t = Tokenizer(["县域内住院量占比", *MEASURE_WORDS])  # an indicator kept whole, as user_words gives it
    assert "占比" in t("县域内住院量占比") and "占比" in t("2022年县域内住院占比是多少？")
    assert "占比" not in Tokenizer(["县域内住院量占比"])("县域内住院量占比")  # why the list exists
