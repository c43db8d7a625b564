from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.text.split import split_sentences


def test_splits_western_and_cjk_sentences() -> None:
    assert split_sentences("Hello there. How are you? Fine!") == ["Hello there.", " How are you?", " Fine!"]
    assert split_sentences("今天天气很好。我们去公园吧！好的") == ["今天天气很好。", "我们去公园吧！", "好的"]


def test_numbers_and_abbreviated_decimals_stay_whole() -> None:
    assert split_sentences("It costs 3.14 dollars. Done.") == ["It costs 3.14 dollars.", " Done."]


def test_long_sentences_are_cut_at_clauses_then_spaces() -> None:
    text = "one, two, three, four, five, six, seven, eight, nine, ten."
    parts = split_sentences(text, max_chars=20)
    assert "".join(parts) == text
    assert all(len(p.strip()) <= 20 for p in parts)
    assert parts[0] == "one, two, three, "


def test_cuts_never_fall_inside_numbers_times_or_urls() -> None:
    text = "Call 1,000,000 people at 14:30 via https://example.com/a,b:c and then wait for all of them"
    parts = split_sentences(text, max_chars=30)
    assert "".join(parts) == text
    joined = [p.strip() for p in parts]
    for token in ("1,000,000", "14:30", "https://example.com/a,b:c"):
        assert any(token in p for p in joined), (token, joined)


def test_text_without_any_break_is_hard_cut() -> None:
    parts = split_sentences("x" * 95, max_chars=30)
    assert [len(p) for p in parts] == [30, 30, 30, 5]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab 。，.!?\n中文1,"), max_size=400), st.integers(5, 120))
def test_no_character_is_ever_lost_and_limits_hold(text: str, limit: int) -> None:
    parts = split_sentences(text, max_chars=limit)
    assert "".join(parts) == text
    assert all(len(p.strip()) <= limit for p in parts)
    assert all(p.strip() for p in parts[1:])  # only a whitespace-only input yields a blank segment


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode_input_splits_without_error(text: str) -> None:
    assert "".join(split_sentences(text)) == text


def test_protected_ranges_are_never_cut() -> None:
    text = "we rely on graphics processing units, every single day, all of us"
    term = "graphics processing units"
    start = text.index(term)
    parts = split_sentences(text, max_chars=20, protected=[(start, start + len(term))])
    assert "".join(parts) == text
    assert any(term in p for p in parts), parts


def test_sentence_ends_inside_a_protected_range_are_skipped() -> None:
    text = "Ask Mr. Smith. Then go."
    parts = split_sentences(text, protected=[(4, 13)])
    assert parts == ["Ask Mr. Smith.", " Then go."]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab ,.\n中"), max_size=200), st.integers(5, 60), st.data())
def test_protected_splitting_loses_nothing(text: str, limit: int, data: st.DataObject) -> None:
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, len(text)))
    parts = split_sentences(text, max_chars=limit, protected=[(a, b)])
    assert "".join(parts) == text
    cuts = {sum(len(p) for p in parts[:i]) for i in range(1, len(parts))}
    assert not any(a < c < b for c in cuts)


def test_a_list_number_ends_no_sentence() -> None:
    tips = "Tips: 1. Sleep well. 2. Drink water."
    assert split_sentences(tips) == ["Tips: 1. Sleep well.", " 2. Drink water."]
    assert split_sentences("Steps:\n1. Open it.\n2. Save.") == ["Steps:\n", "1. Open it.\n", "2. Save."]
    assert split_sentences("以下是建议：1. 每天运动；2. 早睡。") == ["以下是建议：1. 每天运动；", "2. 早睡。"]
    assert split_sentences("如下。1. 运动，2. 早睡。") == ["如下。", "1. 运动，2. 早睡。"]
    # A number that ends a sentence still ends it.
    assert split_sentences("He scored 3. Then he left.") == ["He scored 3.", " Then he left."]
    assert split_sentences("Score: 5. Great job.") == ["Score: 5.", " Great job."]
    # After a colon a list starts at 1; another number there is a value.
    assert split_sentences("Weight: 5. Height: 6.") == ["Weight: 5.", " Height: 6."]


def test_a_dotted_abbreviation_ends_a_sentence_only_before_an_opening_word() -> None:
    text = "The U.S. Army is big. I live in the U.S. The weather is nice."
    assert split_sentences(text) == ["The U.S. Army is big.", " I live in the U.S.", " The weather is nice."]
    assert split_sentences("She works at the U.N. in Geneva.") == ["She works at the U.N. in Geneva."]
    assert split_sentences("In the U.S. 50 states vote.") == ["In the U.S. 50 states vote."]
    assert split_sentences('Born in the U.K. "Hi," she said.') == ["Born in the U.K.", ' "Hi," she said.']
    assert split_sentences("I moved to the U.S.") == ["I moved to the U.S."]


def test_an_abbreviation_that_the_text_goes_on_from_ends_no_sentence() -> None:
    assert split_sentences("Dr. Smith met Mr. Jones.") == ["Dr. Smith met Mr. Jones."]
    assert split_sentences("See Fig. 3 and p. 12, on Jan. 5.") == ["See Fig. 3 and p. 12, on Jan. 5."]
    assert split_sentences("Use e.g. apples, etc. and more.") == ["Use e.g. apples, etc. and more."]
    assert split_sentences("Meet at 5 p.m. and eat.") == ["Meet at 5 p.m. and eat."]
    # They still end one before a sentence's opening word, and other words still end one.
    assert split_sentences("I live on Main St. The house is red.") == [
        "I live on Main St.",
        " The house is red.",
    ]
    assert split_sentences("Buy pears, etc. Then go.") == ["Buy pears, etc.", " Then go."]
    assert split_sentences("I was born in 1990. 2020 was hard.") == ["I was born in 1990.", " 2020 was hard."]
    # A unit written short after a number, and an alias, go on too.
    assert split_sentences("He is 5 ft. tall, 3 mi. away.") == ["He is 5 ft. tall, 3 mi. away."]
    assert split_sentences("Bob a.k.a. Rob works for the govt. now.") == [
        "Bob a.k.a. Rob works for the govt. now."
    ]
    assert split_sentences("We drove 5 mi. Then we ate.") == ["We drove 5 mi.", " Then we ate."]
    # Initials, name and company suffixes go on like titles; a time zone goes with its a.m./p.m.
    assert split_sentences("George W. Bush met C. S. Lewis at Acme Inc. today.") == [
        "George W. Bush met C. S. Lewis at Acme Inc. today."
    ]
    assert split_sentences("I got an A. Then I left.") == ["I got an A.", " Then I left."]
    assert split_sentences("Your appt. is set. Max. speed is 30.") == [
        "Your appt. is set.",
        " Max. speed is 30.",
    ]
    assert split_sentences("Open 10-2 Sat. and Sun. 12-4.") == ["Open 10-2 Sat. and Sun. 12-4."]
    assert split_sentences("12月8日Dr. Smith来了。") == ["12月8日Dr. Smith来了。"]  # a title glued to Chinese
    assert split_sentences("Meet at 5 p.m. ET in vol. II of Exp. 08/26.") == [
        "Meet at 5 p.m. ET in vol. II of Exp. 08/26."
    ]


@pytest.mark.timing
@pytest.mark.parametrize("text", ["Dr. " * 50_000, "U.S. " * 40_000, "Jan. 5. " * 25_000, "a1. " * 50_000])
def test_long_runs_of_abbreviations_split_fast(text: str) -> None:
    start = time.perf_counter()
    assert "".join(split_sentences(text)) == text
    assert time.perf_counter() - start < 5.0
