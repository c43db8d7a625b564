from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clarion.text.lang import detect_language
from clarion.text.normalize import normalize


def test_collapses_whitespace_and_drops_control_characters() -> None:
    assert normalize("  Hello\t\t world\x00\x07 ! ") == "Hello world !"
    assert normalize("one\r\ntwo\n\n\n\nthree") == "one\ntwo\n\nthree"
    assert normalize("全角\u3000空格") == "全角 空格"


@given(st.text(max_size=200))
def test_idempotent_on_any_input(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_language_is_zh_when_han_characters_appear() -> None:
    assert detect_language("Hello there.") == "en"
    assert detect_language("今天是星期六。") == "zh"
    assert detect_language("我用 iPhone 打电话") == "zh"
