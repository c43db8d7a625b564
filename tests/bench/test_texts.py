"""Built-in text sets and text files."""

from __future__ import annotations

from pathlib import Path

import pytest

from clarion.bench.errors import BenchError
from clarion.bench.texts import BUILTIN, SIZES, builtin, load_texts
from clarion.text.split import split_sentences


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sizes(lang: str) -> None:
    sets = BUILTIN[lang]
    assert all(len(t) < 20 for t in sets["short"])
    shortest_medium = min(len(t) for t in sets["medium"])
    assert shortest_medium > max(len(t) for t in sets["short"])
    assert min(len(t) for t in sets["long"]) > 3 * shortest_medium
    # Long texts are paragraphs: several sentences, for a sentence-streaming server to stream.
    assert all(len(split_sentences(t)) >= 5 for t in sets["long"])
    if lang == "zh":
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for s in SIZES for t in sets[s])


def test_builtin_mixes_every_size() -> None:
    mixed = builtin("builtin", "en")
    assert sorted(mixed) == sorted(t for s in SIZES for t in BUILTIN["en"][s])
    assert [mixed[0], mixed[1], mixed[2]] == [BUILTIN["en"][s][0] for s in SIZES]
    assert load_texts("long", "zh") == list(BUILTIN["zh"]["long"])


def test_file_one_text_per_line(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("# a comment\nFirst text.\n\n  Second text.  \n你好。\n", encoding="utf-8")
    assert load_texts(str(path)) == ["First text.", "Second text.", "你好。"]


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="neither a built-in set"):
        load_texts(str(tmp_path / "missing.txt"))
    empty = tmp_path / "empty.txt"
    empty.write_text("\n# nothing\n", encoding="utf-8")
    with pytest.raises(BenchError, match="holds no texts"):
        load_texts(str(empty))
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(BenchError, match="cannot read"):
        load_texts(str(binary))
    with pytest.raises(BenchError, match="language"):
        load_texts("short", "fr")
