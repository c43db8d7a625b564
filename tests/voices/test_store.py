"""The voice store: atomic writes, names that cannot reach outside it, and a full disk
that leaves nothing half-written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from clarion.errors import Conflict, InvalidRequest, NotFound, StorageFull
from clarion.voices.store import VoiceStore, trim_silence
from tests.voices.corpus import speech_like


def test_add_get_list_delete(tmp_path: Path) -> None:
    store = VoiceStore(tmp_path / "voices")
    assert store.list() == []
    v = store.add("a", speech_like(3.0), 16_000, transcript="hi")
    assert store.get("a") == v and store.exists("a")
    assert json.loads((tmp_path / "voices" / "a" / "voice.json").read_text())["sha256"] == v.sha256
    assert store.reference("a").is_file()
    assert store.cache_dir("a", "chatterbox").is_dir()
    with pytest.raises(Conflict):
        store.add("a", speech_like(3.0), 16_000)
    store.add("b", speech_like(2.0), 16_000)
    assert [x.id for x in store.list()] == ["a", "b"]
    store.delete("a")
    assert not store.exists("a")
    with pytest.raises(NotFound):
        store.get("a")


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "", "a" * 65, "uploaded"])
def test_names_never_leave_the_store(tmp_path: Path, name: str) -> None:
    store = VoiceStore(tmp_path / "voices")
    with pytest.raises(InvalidRequest):
        store.add(name, speech_like(3.0), 16_000)
    assert not store.exists(name)


@pytest.fixture
def tiny_disk(small_disk: Callable[[str], Path]) -> Path:
    return small_disk("256k")


def test_a_full_disk_is_a_clear_error_and_leaves_nothing_behind(tiny_disk: Path) -> None:
    store = VoiceStore(tiny_disk / "voices")
    store.add("fits", speech_like(2.0), 16_000)  # 64 kB
    with pytest.raises(StorageFull, match="no space left"):
        store.add("too-big", speech_like(20.0), 16_000)  # 640 kB
    assert [v.id for v in store.list()] == ["fits"]
    assert sorted(p.name for p in (tiny_disk / "voices").iterdir()) == ["fits"]
    store.get("fits")  # the voice already there is intact


def test_trim_silence_keeps_the_sound() -> None:
    rate = 16_000
    clip = np.concatenate([np.zeros(rate), speech_like(1.0), np.zeros(rate)]).astype(np.float32)
    trimmed = trim_silence(clip, rate)
    assert rate <= len(trimmed) <= rate + 2 * 10 * rate // 100 + 320
    assert len(trim_silence(np.zeros(rate, np.float32), rate)) == 0
