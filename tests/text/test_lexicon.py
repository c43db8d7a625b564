from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from clarion.errors import InvalidRequest
from clarion.text.lexicon import Lexicon


def test_whole_terms_only_for_latin_terms() -> None:
    lex = Lexicon.from_entries({"en": {"AI": "A I"}})
    assert lex.apply("AI is here, MAIL is not AI-based", "en")[0] == "A I is here, MAIL is not A I-based"
    assert lex.apply("AIs", "en")[0] == "AIs"


def test_chinese_terms_match_inside_han_text_and_longest_wins() -> None:
    lex = Lexicon.from_entries({"zh": {"AI": "人工智能", "AI芯片": "人工智能芯片", "重庆": "重庆"}})
    text, hits = lex.apply("用AI做AI芯片", "zh")
    assert text == "用人工智能做人工智能芯片"
    assert [h.term for h in hits] == ["AI", "AI芯片"]
    assert text[hits[1].start : hits[1].end] == "人工智能芯片"


def test_language_specific_entries_override_the_shared_ones() -> None:
    lex = Lexicon.from_entries({"*": {"SQL": "S Q L"}, "en": {"SQL": "sequel"}})
    assert lex.apply("SQL", "en")[0] == "sequel"
    assert lex.apply("SQL", "zh")[0] == "S Q L"


def test_yaml_file_reloads_without_restart(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.yaml"
    path.write_text("en:\n  GPU: graphics card\n", encoding="utf-8")
    lex = Lexicon(path, check_interval_s=0)
    assert lex.apply("a GPU", "en")[0] == "a graphics card"
    path.write_text("en:\n  GPU: G P U\n", encoding="utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))  # mtime granularity can hide a quick rewrite
    assert lex.apply("a GPU", "en")[0] == "a G P U"
    assert lex.entries() == {"en": {"GPU": "G P U"}}


def test_broken_edit_keeps_the_last_good_lexicon(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.yaml"
    path.write_text("en:\n  GPU: graphics card\n", encoding="utf-8")
    lex = Lexicon(path, check_interval_s=0)
    path.write_text("en: [unclosed\n", encoding="utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))
    assert lex.apply("GPU", "en")[0] == "graphics card"


def test_tsv_format(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text("# language\tterm\treplacement\nzh\tAI\t人工智能\nen\tAI\tA I\n", encoding="utf-8")
    lex = Lexicon(path)
    assert lex.apply("用AI", "zh")[0] == "用人工智能"
    assert lex.apply("AI", "en")[0] == "A I"


@pytest.mark.parametrize("content", ["- just\n- a list\n", "en:\n  '': empty\n"])
def test_invalid_files_are_refused_with_a_message(tmp_path: Path, content: str) -> None:
    path = tmp_path / "lexicon.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidRequest, match="lexicon"):
        Lexicon(path)
