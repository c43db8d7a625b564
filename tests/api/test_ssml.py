"""SSML through /v1/audio/speech on a real server: pauses are silence, rates change the
length, tags are never read aloud, and bad documents are 400s naming what to fix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from clarion.audio.decode import decode
from clarion.config import Settings
from tests.server import RunningServer, serve


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(Settings(engines=["hibari"], cache_memory_mb=0)) as running:
        yield running


def speak(server: RunningServer, text: str, **extra: Any) -> httpx.Response:
    body = {"model": "hibari", "voice": "heart", "input": text, "response_format": "wav", **extra}
    return httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=60)


def seconds(r: httpx.Response) -> tuple[float, np.ndarray]:
    assert r.status_code == 200, r.text
    audio, rate = decode(r.content, "wav")
    return len(audio) / rate, audio


def longest_silence_s(audio: np.ndarray, rate: int = 24_000) -> float:
    quiet = np.abs(audio) < 1e-3
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best / rate


def test_a_break_is_silence_and_the_tags_are_not_read(server: RunningServer) -> None:
    plain, _ = seconds(speak(server, "Hello world."))
    ssml, audio = seconds(speak(server, '<speak>Hello <break time="800ms"/> world.</speak>'))
    assert longest_silence_s(audio) >= 0.75
    # The words plus the pause, not the words plus markup read out.
    assert plain + 0.5 < ssml < plain + 1.6
    flagged, _ = seconds(speak(server, 'Hello <break time="800ms"/> world.', input_format="ssml"))
    assert flagged == pytest.approx(ssml, abs=0.05)


def test_prosody_rate_slows_the_words_down(server: RunningServer) -> None:
    normal, _ = seconds(speak(server, "<speak>This sentence is read at its normal pace.</speak>"))
    slow, _ = seconds(
        speak(
            server,
            '<speak><prosody rate="x-slow">This sentence is read at its normal pace.</prosody></speak>',
        )
    )
    assert slow > 1.5 * normal


def test_say_as_and_sub_are_read_as_words(server: RunningServer) -> None:
    word, _ = seconds(speak(server, '<speak><sub alias="World Wide Web">WWW</sub></speak>'))
    spelled, _ = seconds(speak(server, '<speak><say-as interpret-as="digits">12345</say-as></speak>'))
    cardinal, _ = seconds(speak(server, "<speak>12345</speak>"))
    assert word > 0.5 and spelled > 0.5 and cardinal > 0.5
    assert spelled != pytest.approx(cardinal, abs=0.05)  # one two three four five, not twelve thousand ...


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("doc", "code", "needle"),
    [
        ("<speak>Hello <audio src='x.wav'/></speak>", "invalid_ssml", "<audio>"),
        ("<speak>Hello", "invalid_ssml", "not well-formed"),
        ('<!DOCTYPE s [<!ENTITY e "x">]><speak>&e;</speak>', "invalid_ssml", "DTD"),
        ('<speak><break time="1s"/></speak>', "no_speakable_text", "nothing to say"),
    ],
)
def test_bad_documents_are_400s_naming_the_problem(
    server: RunningServer, doc: str, code: str, needle: str, stream: bool
) -> None:
    r = speak(server, doc, stream=stream)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == code and needle in error["message"]


def test_plain_text_that_mentions_tags_is_not_ssml(server: RunningServer) -> None:
    r = speak(server, "Use the <speak> tag to start.")
    assert r.status_code == 200
