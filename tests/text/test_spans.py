from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from clarion.text.spans import language_spans


def spans(text: str) -> list[tuple[str, str]]:
    return [(s.text, s.language) for s in language_spans(text)]


def test_pure_texts_are_one_span() -> None:
    assert spans("今天是2024年6月15日") == [("今天是2024年6月15日", "zh")]
    assert spans("I paid $500 for it.") == [("I paid $500 for it.", "en")]


def test_digits_join_the_chinese_they_touch() -> None:
    assert spans("我用iPhone15拍照") == [("我用", "zh"), ("iPhone", "en"), ("15拍照", "zh")]
    assert spans("第3名") == [("第3名", "zh")]


def test_spaced_numbers_stay_with_the_english_before_them() -> None:
    assert spans("iPhone 15 Pro很好") == [("iPhone 15 Pro", "en"), ("很好", "zh")]


def test_chinese_punctuation_is_chinese() -> None:
    assert spans("Hello，世界") == [("Hello", "en"), ("，世界", "zh")]


def test_for_a_mandarin_voice_punctuation_between_english_words_stays_english() -> None:
    # "Dr" and "Smith" were read apart, the full stop with the Chinese, so "Dr." was never a title.
    zh = [(s.text, s.language) for s in language_spans("我见了Dr. Smith和Mr. Lee。", "zh")]
    assert zh == [("我见了", "zh"), ("Dr. Smith", "en"), ("和", "zh"), ("Mr. Lee", "en"), ("。", "zh")]
    # A number between English words is still read in Mandarin.
    mixed = [(s.text, s.language) for s in language_spans("我用iPhone 15 Pro拍的", "zh")]
    assert ("iPhone", "en") in mixed and any("15" in t and lang == "zh" for t, lang in mixed)


def test_for_a_mandarin_voice_each_sentence_of_a_bilingual_text_reads_its_numbers_in_its_language() -> None:
    # The sentence after "。" had Chinese before it, so its numbers were read in Mandarin.
    spans = [(s.text, s.language) for s in language_spans("我跑了5公里。Then I rested for 10 minutes.", "zh")]
    assert spans == [("我跑了5公里。", "zh"), ("Then I rested for 10 minutes.", "en")]
    # A sentence with Chinese in it reads them in Mandarin, whatever comes before or after.
    spans = [(s.text, s.language) for s in language_spans("Great. 新款RTX 4090… iPhone 15 Pro很贵", "zh")]
    assert spans[:2] == [("Great. ", "en"), ("新款RTX 4090… ", "zh")]
    assert spans[2:] == [("iPhone", "en"), (" 15 ", "zh"), ("Pro", "en"), ("很贵", "zh")]
    # A sentence without words, in a text without Chinese, goes by the words beside it.
    assert {s.language for s in language_spans("1990. That was the year.", "zh")} == {"en"}


@given(st.text(max_size=200))
def test_spans_concatenate_back_to_the_input(text: str) -> None:
    out = language_spans(text)
    assert "".join(s.text for s in out) == text
    assert all(a.language != b.language for a, b in itertools.pairwise(out))
