"""The audio cache on a real server: a repeat costs no synthesis, serves every format and
streaming, can be bypassed, is counted in /metrics, and its disk tier survives a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from clarion.audio.decode import decode
from clarion.config import Settings
from tests.api.test_observability import samples, value
from tests.server import RunningServer, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    settings = Settings(engines=["hibari"], data_dir=tmp_path_factory.mktemp("data"))
    with serve(settings) as running:
        yield running


def speak(server: RunningServer, text: str, fmt: str = "wav", **extra: object) -> httpx.Response:
    headers = extra.pop("headers", None)
    body = {"model": "hibari", "voice": "heart", "input": text, "response_format": fmt, **extra}
    return httpx.post(f"{server.url}/v1/audio/speech", json=body, headers=headers, timeout=60)  # type: ignore[arg-type]


def submitted(server: RunningServer) -> int:
    return server.service.runtimes["hibari"].batcher.stats.submitted


def test_a_repeat_is_served_from_the_cache_without_synthesis(server: RunningServer) -> None:
    text = "The cache remembers this sentence. And this one too."
    first = speak(server, text)
    assert first.headers["x-clarion-cache"] == "miss"
    before = submitted(server)
    again = speak(server, text)
    assert again.headers["x-clarion-cache"] == "hit"
    assert again.content == first.content
    assert submitted(server) == before  # nothing reached the batcher
    # Another format and a stream come from the same entry.
    mp3 = speak(server, text, "mp3")
    assert mp3.headers["x-clarion-cache"] == "hit"
    pcm_wav, _ = decode(first.content, "wav")
    pcm_mp3, _ = decode(mp3.content, "mp3")
    assert abs(len(pcm_mp3) - len(pcm_wav)) < 3000
    with httpx.stream(
        "POST",
        f"{server.url}/v1/audio/speech",
        json={"model": "hibari", "voice": "heart", "input": text, "response_format": "pcm", "stream": True},
    ) as r:
        assert r.headers["x-clarion-cache"] == "hit"
        streamed = b"".join(r.iter_bytes())
    assert np.frombuffer(streamed, "<i2").size == pcm_wav.size
    assert submitted(server) == before


def test_bypass_by_field_or_header(server: RunningServer) -> None:
    text = "Bypass me, please."
    assert speak(server, text).headers["x-clarion-cache"] == "miss"
    before = submitted(server)
    assert speak(server, text, cache=False).headers["x-clarion-cache"] == "bypass"
    assert speak(server, text, headers={"Cache-Control": "no-cache"}).headers["x-clarion-cache"] == "bypass"
    assert submitted(server) == before + 2
    assert speak(server, text).headers["x-clarion-cache"] == "hit"


def test_parameters_are_part_of_the_key(server: RunningServer) -> None:
    text = "Speed changes the audio."
    speak(server, text)
    assert speak(server, text, speed=1.25).headers["x-clarion-cache"] == "miss"
    assert speak(server, text, speed=1.25).headers["x-clarion-cache"] == "hit"


def test_hits_and_misses_are_counted(server: RunningServer) -> None:
    m0 = samples(server)
    speak(server, "Counting cache lookups.")
    speak(server, "Counting cache lookups.")
    m1 = samples(server)
    for result in ("hit", "miss"):
        delta = value(m1, "clarion_cache_events_total", result=result, tier="memory") - value(
            m0, "clarion_cache_events_total", result=result, tier="memory"
        )
        assert delta == 1
    assert value(m1, "clarion_cache_bytes", tier="memory") > 0


def test_the_disk_tier_survives_a_restart(tmp_path: Path) -> None:
    settings = Settings(engines=["hibari"], data_dir=tmp_path, cache_memory_mb=1, cache_disk_mb=50)
    text = "Written to disk, read after a restart."
    with serve(settings) as first:
        original = speak(first, text)
        assert original.headers["x-clarion-cache"] == "miss"
    assert list((tmp_path / "cache").glob("*.npz"))
    with serve(settings) as second:
        again = speak(second, text)
        assert again.headers["x-clarion-cache"] == "hit"
        assert again.content == original.content
        assert second.service.runtimes["hibari"].batcher.stats.submitted == 0
