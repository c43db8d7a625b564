"""English normaliser: tricky cases and robustness (the golden set runs in test_golden.py)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.text.en import normalize_en


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("St. Louis is big.", "Saint Louis is big."),
        ("She lives on Main St.", "She lives on Main Street."),
        ("Walk down Baker St. for a while.", "Walk down Baker Street for a while."),
        ("the feast of St. Patrick", "the feast of Saint Patrick"),
        ("Dr. Who", "Doctor Who"),
        ("turn onto Mulholland Dr. now", "turn onto Mulholland Drive now"),
    ],
)
def test_saint_vs_street(text: str, expected: str) -> None:
    assert normalize_en(text).text == expected


def test_acronym_option() -> None:
    assert normalize_en("The FBI and NASA").text == "The F B I and NASA"
    custom = normalize_en("The FBI and NASA", acronyms_as_words=frozenset({"FBI"}))
    assert custom.text == "The FBI and NASA"
    assert custom.rules == ()
    assert normalize_en("GPU").text == "G P U"
    assert normalize_en("GPU", acronyms_as_words=frozenset({"GPU"})).text == "GPU"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 km", "one kilometer"),
        ("2 km", "two kilometers"),
        ("1 ft", "one foot"),
        ("1.5 ft", "one point five feet"),
        ("1 lb", "one pound"),
        ("1°C", "one degree Celsius"),
        ("1 GB", "one gigabyte"),
    ],
)
def test_singular_units(text: str, expected: str) -> None:
    assert normalize_en(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$0.99", "ninety-nine cents"),
        ("$0.01", "one cent"),
        ("$0.5", "fifty cents"),
        ("€0.20", "twenty cents"),
        ("£0.01", "one penny"),
        ("$1.01", "one dollar and one cent"),
    ],
)
def test_cents_only_currency(text: str, expected: str) -> None:
    assert normalize_en(text).text == expected


def test_rules_recorded_once_in_firing_order() -> None:
    result = normalize_en("On June 15, 2024 I paid $3 and $4 for 2 things.")
    assert result.rules == ("en.date", "en.currency", "en.cardinal")
    assert normalize_en("nothing to do here").rules == ()


def test_years_need_context() -> None:
    assert normalize_en("in 1999").text == "in nineteen ninety-nine"
    assert normalize_en("1999 people").text == "one thousand nine hundred ninety-nine people"


def test_non_latin_passes_through() -> None:
    for text in ["中文测试，一二三。", "日本語のテキスト", "한국어", "مرحبا", "😀🎉"]:
        assert normalize_en(text).text == text


ADVERSARIAL = [
    "1" * 100_000,
    "1," * 50_000,
    "a." * 50_000,
    "A." * 50_000,
    "$" * 100_000,
    "@." * 50_000,
    "a@" * 25_000 + "." * 50_000,
    "http://" + "a/" * 50_000,
    "1." * 50_000,
    "1-" * 50_000,
    "1/" * 50_000,
    "1:" * 50_000,
    "-" * 100_000,
    "#" * 100_000,
    "St. " * 25_000,
    "a" * 100_000 + ".com",
    "1 " * 50_000,
    "1 k" * 33_000,
]


@pytest.mark.timing
@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:12]))
def test_adversarial_inputs_are_fast(text: str) -> None:
    start = time.perf_counter()
    normalize_en(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, f"{elapsed:.2f} s"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_no_exception_on_arbitrary_text(text: str) -> None:
    result = normalize_en(text)
    assert isinstance(result.text, str)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789$£€¥%.,:/-+&#@ abcKMSTstndrhmpAPBGkg°C²'’\n"))
def test_no_exception_on_number_heavy_text(text: str) -> None:
    normalize_en(text)
