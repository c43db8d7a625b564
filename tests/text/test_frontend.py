"""The whole front end: lexicon, spans, per-language normalisation, tagged segments."""

from __future__ import annotations

from clarion.text.frontend import FrontEndOptions, TextFrontEnd
from clarion.text.lexicon import Lexicon


def test_each_language_is_normalised_in_its_own_rules() -> None:
    fe = TextFrontEnd()
    result = fe.process("I paid $500 on 2024-06-15. 今天是2024年6月15日，我买了3个苹果。")
    assert "five hundred dollars" in result.text
    assert "二零二四年六月十五日" in result.text
    assert "三个苹果" in result.text
    assert not any(ch.isdigit() for ch in result.text)
    assert [s.language for s in result.segments] == ["en", "zh"]
    assert "en.currency" in result.rules
    assert any(r.startswith("zh.") for r in result.rules)


def test_lexicon_applies_before_normalisation_and_can_switch_language() -> None:
    fe = TextFrontEnd(Lexicon.from_entries({"zh": {"AI": "人工智能"}, "en": {"AI": "A I"}}))
    zh = fe.process("我们用AI。")
    assert zh.text == "我们用人工智能。"
    assert "lexicon" in zh.rules
    en = fe.process("We use AI.")
    assert en.text == "We use A I."


def test_opted_out_engines_get_clean_up_and_splitting_only() -> None:
    fe = TextFrontEnd()
    result = fe.process("It costs $5.  Really.", FrontEndOptions(enabled=False))
    assert result.text == "It costs $5. Really."
    assert [s.text for s in result.segments] == ["It costs $5.", "Really."]
    assert result.rules == []


def test_erhua_merge_is_an_option() -> None:
    fe = TextFrontEnd()
    assert "一点儿" in fe.process("等一点儿。").text
    assert "一点儿" not in fe.process("等一点儿。", FrontEndOptions(erhua="merge")).text


def test_segment_length_follows_the_option() -> None:
    fe = TextFrontEnd()
    text = "这是一个很长的句子，" * 30 + "结束。"
    result = fe.process(text, FrontEndOptions(max_segment_chars=40))
    assert len(result.segments) > 5
    assert all(len(s.text) <= 40 for s in result.segments)
    assert "".join(s.text for s in result.segments) == result.text.replace(" ", "")


def test_a_lexicon_replacement_is_never_split() -> None:
    fe = TextFrontEnd(Lexicon.from_entries({"en": {"GPU": "graphics processing unit"}}))
    result = fe.process("Buy a GPU, a fan, a case, and a cable for it", FrontEndOptions(max_segment_chars=20))
    assert any("graphics processing unit" in s.text for s in result.segments), result.segments
