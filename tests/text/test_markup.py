"""Markdown, HTML and emoji reduced to the words a listener should hear."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.text.frontend import FrontEndOptions, TextFrontEnd
from clarion.text.markup import plain_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Title\n\n**Bold** and *italic* with `code`.", "Title\nBold and italic with code."),
        ("See [the docs](https://example.com/docs) and ![a cat](cat.png).", "See the docs and a cat."),
        ("## Steps\n1. Open the app.\n2. Tap **Settings**.", "Steps\n1. Open the app.\n2. Tap Settings."),
        ("- item one\n- item two\n* item three", "item one\nitem two\nitem three"),
        ("> quoted text", "quoted text"),
        ("~~old~~ new", "old new"),
        ("| Name | Age |\n|---|---|\n| Bob | 42 |", "Name, Age\nBob, 42"),
        # A streamed table comes a row at a time, and a row alone is no table to the parser.
        ("| Bob | 42 |", "Bob, 42"),
        ("| :--- | ---: |", ""),
        ("```python\nprint('hi')\n```\nDone.", "print('hi')\nDone."),
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ('Hi <i>big</i> <span class="x">world</span><br>Next', "Hi big world\nNext"),
        ("AT&amp;T &lt;3", "AT&T <3"),
        ("Great job 🎉 team! 👍🏽", "Great job  team! "),
        ("🇺🇸 ❤️", " "),
        # A pair cut in two by a streamed piece: the mark left alone goes too.
        ("** More text", " More text"),
        ("Bold** ends here.", "Bold ends here."),
    ],
)
def test_marks_go_and_words_stay(text: str, expected: str) -> None:
    assert plain_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Plain sentence. Another one!",
        "2*3*4 = 24",
        "Price: $5 * 3 = $15",
        "a < b and c > d",
        "snake_case_name stays.",
        "Use C:\\Users\\bob",
        "1990. That was the year.",
        "Line one\nline two",
        "#hashtag and #1 priority",
        "3.5 + 2 = 5.5",
        # A tag without its partner is prose about a tag, or no tag at all.
        "Use the <speak> tag to start.",
        "if x<y and y>z then",
        "a | b or x || y",
    ],
)
def test_plain_prose_is_left_alone(text: str) -> None:
    assert plain_text(text) == text


def test_the_front_end_reads_a_model_reply_without_its_marks() -> None:
    reply = "## Summary\n\n**Total:** $5 for *3* items 🎉\n\n1. Pay by 6/15.\n2. Ship."
    result = TextFrontEnd().process(reply, FrontEndOptions(language="en"))
    assert result.text == (
        "Summary\nTotal: five dollars for three items\none, Pay by June fifteenth.\ntwo, Ship."
    )
    assert result.segments[0].text == "Summary"
    # Off, every character is read as sent.
    raw = TextFrontEnd().process("**Total**", FrontEndOptions(language="en", markup=False))
    assert raw.text == "**Total**"


# As long as an input may be (CLARION_MAX_INPUT_CHARS): runs of marks without partners.
ADVERSARIAL = {
    "brackets": "[" * 50_000,
    "links": "[a](" * 12_500,
    "emphasis": "*a " * 16_666,
    "underscores": "_a_ " * 12_500,
    "tags": "<b>" * 16_666,
    "quotes": "> " * 25_000,
    "table": ("|a|b|\n|-|-|\n" + "|1|2|\n" * 8_000)[:50_000],
}


@pytest.mark.timing
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_marks_are_fast(name: str) -> None:
    start = time.perf_counter()
    plain_text(ADVERSARIAL[name])
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, f"{elapsed:.2f} s"  # about 0.5 s at worst here: linear in the length


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="*_`#<>[]()|~&;\\!-+.1a b\n🎉"))
def test_any_mix_of_marks_gives_text_without_paired_marks(text: str) -> None:
    out = plain_text(text)
    assert "**" not in out and "~~" not in out and "`" not in out
