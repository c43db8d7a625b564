"""Written words matched to spoken phoneme groups (clarion.engines.phoneme_words)."""

from __future__ import annotations

from clarion.engines.phoneme_words import Phone, align_words, spoken_groups, text_words


def timed(symbols: str, step: float = 0.1) -> list[Phone]:
    """One phone per character, each ``step`` long, back to back."""
    return [Phone(s, i * step, (i + 1) * step) for i, s in enumerate(symbols)]


def test_text_words_keep_inner_apostrophes_and_drop_punctuation() -> None:
    assert text_words("Don't stop, it's 10 o’clock!") == ["Don't", "stop", "it's", "10", "o’clock"]


def test_groups_split_at_spaces_and_punctuation_and_keep_stress_marks() -> None:
    groups = spoken_groups(timed("ðə mˈiːɾɪŋ, hɐz."))
    assert ["".join(p.symbol for p in g) for g in groups] == ["ðə", "mˈiːɾɪŋ", "hɐz"]


def test_one_group_per_word_times_each_word_by_its_own_phones() -> None:
    phones = timed("ðə kˈæt sˈæt")
    words = align_words(["The", "cat", "sat"], [2, 3, 3], spoken_groups(phones))
    assert [(w.word, round(w.start, 3), round(w.end, 3)) for w in words] == [
        ("The", 0.0, 0.2),
        ("cat", 0.3, 0.7),
        ("sat", 0.8, 1.2),
    ]


def test_words_run_together_share_their_group_by_length() -> None:
    # espeak says "of the" as one group: "ʌvðə".
    phones = timed("mˈaʊθ ʌvðə bˈeɪ")
    words = align_words(["mouth", "of", "the", "bay"], [3, 2, 2, 2], spoken_groups(phones))
    assert [w.word for w in words] == ["mouth", "of", "the", "bay"]
    of, the = words[1], words[2]
    assert (round(of.start, 3), round(of.end, 3)) == (0.6, 0.8)  # ʌv
    assert (round(the.start, 3), round(the.end, 3)) == (0.8, 1.0)  # ðə
    assert words[3].start > the.end


def test_a_word_read_as_several_groups_spans_them_all() -> None:
    # "USB" read letter by letter as three groups, between two ordinary words.
    phones = timed("ə jˈuː ˈɛs bˈiː pˈɔːt")
    words = align_words(["a", "USB", "port"], [1, 8, 4], spoken_groups(phones))
    assert [w.word for w in words] == ["a", "USB", "port"]
    usb = words[1]
    assert round(usb.start, 3) == 0.2 and round(usb.end, 3) == 1.5
    assert round(words[2].start, 3) == 1.6


def test_a_word_with_no_sound_gets_a_zero_length_mark_in_place() -> None:
    phones = timed("hˈɛloʊ wˈɜːld")
    words = align_words(["hello", "x", "world"], [5, 1, 5], spoken_groups(phones))
    assert [w.word for w in words] == ["hello", "x", "world"]
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    assert all(w.start <= w.end for w in words)


def test_nothing_heard_or_nothing_written() -> None:
    assert align_words([], [], spoken_groups(timed("ab"))) == []
    assert [(w.start, w.end) for w in align_words(["a"], [1], [])] == [(0.0, 0.0)]
