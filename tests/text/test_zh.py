from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.text.zh import normalize_zh

# ------------------------------------------------------------ per-rule checks


def test_rules_are_reported_once_in_firing_order() -> None:
    r = normalize_zh("2024年6月15日14:30，花了¥100，跑了5km，又花了¥200")
    assert r.text == "二零二四年六月十五日十四点三十分，花了一百元，跑了五公里，又花了二百元"
    assert r.rules == ("zh.date", "zh.currency", "zh.time", "zh.unit")
    assert normalize_zh("你好").rules == ()


def test_yao_only_in_digit_strings() -> None:
    r = normalize_zh("电话13811112222，共11个，2011年", yao=True)
    assert r.text == "电话幺三八幺幺幺幺二二二二，共十一个，二零一一年"


def test_long_digit_strings_vs_amounts() -> None:
    assert normalize_zh("123456789").text == "一二三四五六七八九"
    assert normalize_zh("123456789元").text == "一亿二千三百四十五万六千七百八十九元"
    assert normalize_zh("300000000").text == "三亿"
    assert normalize_zh("12345678").text == "一千二百三十四万五千六百七十八"


def test_score_needs_context_otherwise_time() -> None:
    assert normalize_zh("比分10:30").text == "比分十比三十"
    assert normalize_zh("10:30见").text == "十点三十分见"
    assert normalize_zh("3-2").text == "三到二"
    assert normalize_zh("最终3-2获胜").text == "最终三比二获胜"


def test_minus_vs_hyphen_vs_range() -> None:
    assert normalize_zh("温差-5").text == "温差负五"
    assert normalize_zh("50% -5").text == "百分之五十 负五"
    assert normalize_zh("COVID-19").text == "COVID-十九"
    assert normalize_zh("5-8").text == "五到八"


def test_invalid_dates_and_times_fall_back() -> None:
    assert normalize_zh("2024-13-45").text == "二千零二十四到十三到四十五".replace("二千", "两千")
    assert normalize_zh("25:61").text == "二十五比六十一"


def test_liang() -> None:
    assert normalize_zh("2个、2月、第2个、2点、12个").text == "两个、二月、第二个、两点、十二个"
    assert normalize_zh("2000").text == "两千"
    assert normalize_zh("200").text == "二百"


def test_erhua_keeps_lexical_words() -> None:
    r = normalize_zh("女儿和儿子去哪儿玩儿了？婴儿在托儿所。", erhua="merge")
    assert r.text == "女儿和儿子去哪玩了？婴儿在托儿所。"
    assert "zh.erhua" in r.rules
    assert normalize_zh("哪儿").text == "哪儿"


def test_non_ascii_digits_are_left_alone() -> None:
    assert normalize_zh("٣ ௩").text == "٣ ௩"


# ------------------------------------------------------------ robustness

ADVERSARIAL = {
    "ones": "1" * 100_000,
    "dotted": "1." * 50_000,
    "dashes": "-" * 100_000,
    "dash-digits": "1-" * 50_000,
    "years": "年1" * 50_000,
    "years4": "2024年" * 20_000,
    "colons": "1:" * 50_000,
    "commas": "1,000" * 20_000,
    "spaces": "1" + " " * 100_000 + "-",
    "percent": "5%-" * 33_000,
    "currency": "¥1" * 50_000,
    "units": "5k" * 50_000,
    "slashes": "1/" * 50_000,
    "dots": "." * 100_000,
    "phone-ish": "138 " * 25_000,
    "erhua": "儿" * 100_000,
}


@pytest.mark.timing
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_are_fast(name: str) -> None:
    text = ADVERSARIAL[name]
    start = time.perf_counter()
    normalize_zh(text, erhua="merge")
    elapsed = time.perf_counter() - start
    print(f"{name}: {elapsed:.3f}s")
    assert elapsed < 5.0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text: str) -> None:
    r = normalize_zh(text)
    assert isinstance(r.text, str)
    normalize_zh(text, yao=True, erhua="merge")


_PIECES = st.sampled_from(
    list("的是在了我人有这他们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年月日点")
    + list("0123456789")
    + ["km", "kg", "m", "cm", "元", "%", "℃", "个", "米", "公里", "万", "亿", "GB", ".", ":", "-", "/", "~"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40))
def test_no_ascii_digits_left_in_chinese_text(pieces: list[str]) -> None:
    out = normalize_zh("".join(pieces)).text
    assert not re.search(r"[0-9]", out), out
