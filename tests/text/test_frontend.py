"""The whole front end: lexicon, spans, per-language normalisation, tagged segments."""

from __future__ import annotations

import time

import pytest

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


def test_erhua_merge_keeps_the_r_for_the_phoneme_stage() -> None:
    """Merging happens where phonemes are made (tests/engines/test_kokoro.py): dropping 儿
    from the text would lose the r-colouring."""
    fe = TextFrontEnd()
    kept = fe.process("等一点儿。")
    merged = fe.process("等一点儿。", FrontEndOptions(erhua="merge"))
    assert kept.text == merged.text == "等一点儿。"
    assert "zh.erhua" in merged.rules and "zh.erhua" not in kept.rules


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


LONG = (
    "On June 15, 2024 the company sold 1,250 units at $9.99 each, up 12.5% from 2023. "
    "Dr. Smith arrived at 3:30 pm and drove 60 mph for 120 km to St. Mary's! "
    "今天是2024年6月15日，气温25℃，我们处理了3.5GB的数据，成本约¥1,200元。"
) * 12


def test_a_long_text_comes_in_two_parts_whose_join_is_the_whole_reading() -> None:
    fe = TextFrontEnd()
    parts = list(fe.process_parts(LONG))
    assert len(parts) == 2
    # The head is the first sentence alone: synthesis starts after reading it, not all 2,000
    # characters.
    assert parts[0].text.startswith("On June fifteenth, twenty twenty-four the company sold")
    assert parts[0].text.strip().endswith("from twenty twenty-three.")
    assert len(parts[0].text) < len(fe.process(LONG).text) / 10
    assert [s.text for s in parts[0].segments] == [parts[0].text.strip()]
    whole = fe.process(LONG)
    assert whole.text == fe.normalize(LONG).text
    assert whole.segments == [s for p in parts for s in p.segments]


def test_the_head_never_ends_after_an_abbreviation_or_inside_a_number() -> None:
    fe = TextFrontEnd()
    text = "Prices rose approx. 3.5 percent, etc. Then Dr. Smith left. " + "More words follow here. " * 30
    head = next(fe.process_parts(text)).text
    assert head == "Prices rose approximately three point five percent, et cetera. Then Doctor Smith left. "
    # A run-on first sentence is cut at a clause mark within the segment length.
    runon = "这是一个很长的句子，" * 60
    first = next(fe.process_parts(runon))
    assert 0 < len(first.text) <= 300 and first.text.endswith("，")


def test_number_signs_and_named_events_for_a_mandarin_voice() -> None:
    """A "No." goes with its number into the Mandarin reading: spelling it out in English and
    reading the number in Mandarin gave "No.一选手"."""
    fe = TextFrontEnd()
    zh = FrontEndOptions(language="zh")
    cases = {
        "No.1选手": "第一选手",
        "销量No.1的品牌": "销量第一的品牌",
        "No.5香水": "五号香水",
        "他穿NO.23号球衣": "他穿二十三号球衣",
        "9/11事件以后": "九一一事件以后",
        "911事件": "九一一事件",
    }
    assert {text: fe.process(text, zh).text for text in cases} == cases
    # Inside a word, or in English, it is no number sign.
    assert fe.process("Mono.5很好", zh).text == "Mono.五很好"
    assert fe.process("The No.1 player.").text == "The number one player."


def test_a_mandarin_list_reads_its_numbers_as_items() -> None:
    """A "1." at a line's start numbers an item (一、), as a Markdown reply's list does; its full
    stop made the number a sentence of its own (一。)."""
    reply = "## 注意事项\n1. **重要**：请在6/18前完成。\n2) 联系*客服*。"
    result = TextFrontEnd().process(reply, FrontEndOptions(language="zh"))
    assert result.text == "注意事项\n一、重要：请在六月十八日前完成。\n二、联系客服。"
    assert [s.text for s in result.segments] == result.text.split("\n")
    # Not at a line's start, or not before Chinese, it stays a number.
    assert TextFrontEnd().process("第1.5版", FrontEndOptions(language="zh")).text == "第一点五版"
    # A list written on one line, after a colon and semicolons, is a list too.
    inline = TextFrontEnd().process("以下是建议：1. 每天运动；2. 早睡。", FrontEndOptions(language="zh"))
    assert inline.text == "以下是建议：一、每天运动；二、早睡。"
    assert all(len(s.text) > 3 for s in inline.segments)  # no number spoken as a sentence
    # After a sentence's or a clause's end too, as a reply writes "如下。1. ...，2. ...".
    zh = FrontEndOptions(language="zh")
    after_end = TextFrontEnd().process("建议如下。1. 多喝水，2. 早睡…3. 少熬夜。", zh)
    assert [s.text for s in after_end.segments] == ["建议如下。", "一、多喝水，二、早睡…", "三、少熬夜。"]


def test_a_list_after_a_label_that_takes_a_value_starts_on_the_next_line() -> None:
    """A "3 key points:" line then "1. ..." is a list: "points: 1" was taken for a value
    on one line, and the item's number was read as a sentence of its own ("one.")."""
    reply = "Here are **3 key points**:\n\n1. The API costs $0.002 per call.\n2. It is fast."
    segments = [s.text for s in TextFrontEnd().process(reply).segments]
    assert segments == [
        "Here are three key points:",
        "one, The A P I costs zero point zero zero two dollars per call.",
        "two, It is fast.",
    ]
    # On one line the number after such a label is still its value.
    same_line = [s.text for s in TextFrontEnd().process("Total points: 1. Next round.").segments]
    assert same_line == ["Total points: one.", "Next round."]


def test_a_masked_card_number_is_read_by_the_digits_it_shows() -> None:
    """ "****5678" lost its asterisks to the Markdown clean-up and was read "five thousand six hundred
    seventy-eight"; bold marks around other text still go."""
    fe = TextFrontEnd()
    assert fe.process("Your card ****5678 was charged.").text == (
        "Your card ending in five six seven eight was charged."
    )
    assert (
        fe.process("Account ****-1234, **bold** here.").text
        == "Account ending in one two three four, bold here."
    )


def test_a_product_line_and_its_model_number_are_read_together_in_mandarin() -> None:
    """ "RTX" went to the English reader and " 4090" to the Mandarin one, which read it as an amount
    (四千零九十)."""
    zh = FrontEndOptions(language="zh")
    fe = TextFrontEnd()
    assert fe.process("显卡为RTX 4090，显存24GB", zh).text == "显卡为R T X 四零九零，显存二十四G B"
    assert fe.process("GDP 5000亿元", zh).text == "G D P 五千亿元"  # an amount after an acronym
    assert fe.process("I bought an RTX 4090 today.", zh).text == "I bought an R T X forty ninety today."
    assert fe.process("我见了Dr. Smith和Mr. Lee。", zh).text == "我见了Doctor Smith和Mister Lee。"


def test_web_and_mail_addresses_are_read_whole_in_the_sentence_language() -> None:
    """An address in a Mandarin sentence was split between two readers ("example dot
    com/zh", "zhang.san at one six three"); it is now read whole, as a Mandarin speaker says it."""
    zh = FrontEndOptions(language="zh")
    fe = TextFrontEnd()
    assert fe.process("请访问https://www.example.com/zh 获取更多信息。", zh).text == (
        "请访问www点example点com斜杠zh 获取更多信息。"
    )
    assert fe.process("我的邮箱是zhang.san@163.com。", zh).text == "我的邮箱是zhang点san艾特幺六三点com。"
    # In an English sentence, or for an English voice, the English reading.
    assert fe.process("Write to zhang.san@163.com today.", zh).text == (
        "Write to zhang dot san at one six three dot com today."
    )
    assert fe.process("详见www.example.com/docs/", FrontEndOptions(language="en")).text == (
        "详见www点example点com斜杠docs"
    )


def test_a_street_at_a_sentences_end_is_read_as_a_street_and_ends_the_sentence() -> None:
    """ "Main St. The house" read "Main Saint The house", one sentence: a capital after "St."
    made it a saint, while the splitter, which knows "The" opens sentences, cut there."""
    fe = TextFrontEnd()
    for text, segments in [
        ("I live on Main St. The house is blue.", ["I live on Main Street.", "The house is blue."]),
        ("Turn onto Mulholland Dr. Then go left.", ["Turn onto Mulholland Drive.", "Then go left."]),
        ("Visit St. Louis in May.", ["Visit Saint Louis in May."]),
        ("Ask Dr. Who.", ["Ask Doctor Who."]),  # capital as the sentence's first word, not a name
    ]:
        assert [s.text for s in fe.process(text).segments] == segments, text


@pytest.mark.timing
@pytest.mark.parametrize("language", [None, "zh", "en"])
@pytest.mark.parametrize(
    "text", ["x+" * 50_000, "1.1+" * 25_000, "a1_b" * 25_000, "1! " * 30_000 + "a"], ids=lambda t: repr(t[:6])
)
def test_long_runs_of_letters_and_signs_are_read_in_linear_time(text: str, language: str | None) -> None:
    """A 100,000-character run with no "@" took 47 s for a Mandarin voice: at each of its
    characters, the e-mail pattern scanned to the run's end for one. Sentences with no word in
    them ("1! 1! ...") must not send each number on a walk to the nearest word."""
    start = time.perf_counter()
    TextFrontEnd().process(text, FrontEndOptions(language=language))  # type: ignore[arg-type]
    assert time.perf_counter() - start < 5.0
