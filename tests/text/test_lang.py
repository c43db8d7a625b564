"""Which letters a voice cannot read: scripts it would spell out by Unicode name."""

from __future__ import annotations

import pytest

from clarion.text.lang import foreign_letters


@pytest.mark.parametrize(
    ("text", "script", "sample"),
    [
        ("Say مرحبا بالعالم now.", "Arabic", "مرحبا بالعالم"),
        ("שלום עולם", "Hebrew", "שלום עולם"),
        ("Thai: สวัสดี.", "Thai", "สวัสดี"),
        ("Привет мир, hello", "Cyrillic", "Привет мир"),
        ("こんにちは世界", "Hiragana", "こんにちは"),
        ("안녕하세요", "Hangul", "안녕하세요"),
        ("नमस्ते दुनिया", "Devanagari", "नमस्ते दुनिया"),
    ],
)
def test_letters_an_english_voice_would_spell_out_are_found(text: str, script: str, sample: str) -> None:
    found = foreign_letters(text, {"en"})
    assert found is not None and (found.script, found.sample) == (script, sample)


@pytest.mark.parametrize(
    "text",
    [
        "Plain English, 42 times.",
        "Café, naïve, Ångström, Straße, Łódź, ﬁne.",  # Latin with accents and ligatures
        "The α and β parameters, Δt and π.",  # Greek letters are read by name, as meant
        "Hello 你好，世界。",  # Han goes to a Mandarin voice
        "Smile 😀 ★ → ©",  # symbols: no letters at all
    ],
)
def test_what_english_voices_read_passes(text: str) -> None:
    assert foreign_letters(text, {"en"}) is None


def test_a_voice_for_the_script_reads_it() -> None:
    assert foreign_letters("नमस्ते दुनिया", {"hi"}) is None
    found = foreign_letters("नमस्ते and こんにちは", {"hi"})
    assert found is not None and (found.script, found.language) == ("Hiragana", "ja")
