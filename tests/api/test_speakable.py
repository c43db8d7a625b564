"""Input that reads as nothing (punctuation, symbols, emoji) is a 400 on every route, never a
200 with empty or broken audio; a text with something to say around such bits is spoken."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clarion.audio.decode import decode
from clarion.config import Settings
from tests.server import RunningServer, serve

FORMATS = ["mp3", "opus", "aac", "flac", "wav", "pcm"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    settings = Settings(
        engines=["hibari"], data_dir=tmp_path_factory.mktemp("data"), batch_inline_max_items=3
    )
    with serve(settings) as running:
        yield running


def speak(server: RunningServer, text: str, **extra: Any) -> httpx.Response:
    body = {"model": "tts-1", "voice": "alloy", "input": text, **extra}
    return httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=60)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("stream", [False, True])
def test_nothing_to_say_is_a_400_in_every_format(server: RunningServer, fmt: str, stream: bool) -> None:
    r = speak(server, "?!...", response_format=fmt, stream=stream)
    assert r.status_code == 400, (r.status_code, len(r.content))
    error = r.json()["error"]
    assert error["code"] == "no_speakable_text" and error["param"] == "input"
    assert "nothing to say" in error["message"] and "'?!...'" in error["message"]


@pytest.mark.parametrize("text", ["😀🎉👍", "——…… ！？", "• • •", "(  )  [ ]"])
def test_symbols_and_emoji_alone_are_refused(server: RunningServer, text: str) -> None:
    r = speak(server, text, response_format="mp3")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "no_speakable_text"
    get = httpx.get(f"{server.url}/v1/tts", params={"text": text}, timeout=60)
    assert get.status_code == 400 and get.json()["error"]["code"] == "no_speakable_text"


def test_bits_with_nothing_to_say_between_sentences_are_skipped(server: RunningServer) -> None:
    r = speak(server, "Hello there. ... !!! 😀 Goodbye now.", response_format="wav")
    assert r.status_code == 200, r.text
    audio, rate = decode(r.content, "wav")
    assert len(audio) > 0.8 * rate


def test_a_batch_item_with_nothing_to_say_fails_alone(server: RunningServer) -> None:
    items = [{"input": "Fine words."}, {"input": "?!"}]
    body = {"model": "hibari", "voice": "heart", "response_format": "wav", "items": items}
    r = httpx.post(f"{server.url}/v1/audio/speech/batch", json=body, timeout=60)
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        manifest = json.loads(z.read("manifest.json"))
        first = manifest["items"][0]["file"]
        audio, rate = decode(z.read(first), "wav")
    assert len(audio) > 0.3 * rate
    assert manifest["items"][1]["file"] is None
    assert "nothing to say" in manifest["items"][1]["error"]


def test_normalize_shows_that_nothing_would_be_read(server: RunningServer, tmp_path: Path) -> None:
    r = httpx.post(f"{server.url}/v1/text/normalize", json={"input": "?!..."})
    assert r.status_code == 200
    assert r.json()["segments"] == []
