"""Word timestamps end to end, against a real server on loopback with the real Piper voice:
the JSON response, SSE word events, the WebSocket's segment.end, the cache, process isolation,
and the 400 for an engine that gives none (hibari)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import wave
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from clarion.config import EngineOptions, Settings
from tests.server import RunningServer, serve

pytest.importorskip("piper", reason="the piper extra is not installed")

VOICE = "en_US-joe-medium"
QUIET = {"noise_scale": 0.0, "noise_w_scale": 0.0}  # Piper is deterministic with both at 0
TWO = "The museum opens at ten. Guided tours of the new gallery start every half hour."


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    settings = Settings(
        engines=["piper", "hibari"],
        default_engine="piper",
        request_timeout_s=120,
        engine_options={"piper": EngineOptions(workers=1, max_batch_size=4, max_wait_ms=20)},
    )
    with serve(settings) as running:
        yield running


def speak(server: RunningServer, text: str, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {"model": "piper", "voice": VOICE, "input": text, "response_format": "wav"}
    body.update(fields)
    return httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=120)


def timed(server: RunningServer, text: str, **fields: Any) -> tuple[float, list[dict[str, Any]]]:
    """(audio seconds measured from the WAV itself, words) of a JSON timestamps response."""
    r = speak(server, text, timestamps=True, **fields)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"audio", "format", "sample_rate", "audio_seconds", "words"}
    with wave.open(io.BytesIO(base64.b64decode(body["audio"]))) as w:
        seconds = w.getnframes() / w.getframerate()
        assert w.getframerate() == body["sample_rate"]
    assert body["audio_seconds"] == pytest.approx(seconds, abs=1e-3)
    return seconds, body["words"]


def spoken(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def check_order(words: list[dict[str, Any]], seconds: float) -> None:
    """Starts in order, each word inside the audio and not ending before it starts."""
    for w in words:
        assert 0 <= w["start"] <= w["end"] <= seconds + 1e-3, w
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)


def test_models_say_which_engines_give_word_timestamps(server: RunningServer) -> None:
    cards = {m["id"]: m for m in httpx.get(f"{server.url}/v1/models").json()["data"]}
    assert cards["piper"]["engine"]["word_timestamps"] is True
    assert cards["hibari"]["engine"]["word_timestamps"] is False


def test_json_response_has_the_audio_and_every_word_in_order(server: RunningServer) -> None:
    seconds, words = timed(server, TWO, extras=QUIET)
    assert [w["word"] for w in words] == spoken(TWO)
    check_order(words, seconds)
    # Across the sentence boundary: the second sentence starts after the first one's last word,
    # and the words cover the audio, not a fraction of it.
    ten, guided = words[4], words[5]
    assert (ten["word"], guided["word"]) == ("ten", "Guided")
    assert guided["start"] > ten["end"]
    assert words[-1]["end"] > 0.8 * seconds
    assert words[0]["start"] < 0.5


def test_a_later_sentence_keeps_its_times_when_sent_after_another(server: RunningServer) -> None:
    # The same second sentence alone and after the first: shifted by the first one's audio.
    first = "The museum opens at ten."
    second = "Guided tours of the new gallery start every half hour."
    alone_s, alone = timed(server, second, extras=QUIET)
    head_s, _ = timed(server, first, extras=QUIET)
    both_s, both = timed(server, f"{first} {second}", extras=QUIET)
    assert both_s == pytest.approx(head_s + alone_s, abs=0.02)
    tail = both[len(spoken(first)) :]
    for a, b in zip(alone, tail, strict=True):
        assert b["start"] == pytest.approx(a["start"] + head_s, abs=0.02)


def test_times_scale_with_speed_native_and_time_stretched(server: RunningServer) -> None:
    text = "Light rain is expected this evening."
    slow_s, slow = timed(server, text, extras=QUIET)
    fast_s, fast = timed(server, text, speed=1.5, extras=QUIET)  # Piper's own length scale
    assert fast_s < 0.8 * slow_s
    check_order(fast, fast_s)
    # Piper rounds each phoneme to whole frames, so the scaling is close, not exact.
    assert fast[-1]["end"] / fast_s == pytest.approx(slow[-1]["end"] / slow_s, abs=0.05)
    # Past Piper's range (2.0) the service time-stretches what Piper made at 2.0: same words,
    # times scaled by exactly the audio's change in length.
    top_s, top = timed(server, text, speed=2.0, extras=QUIET)
    over_s, over = timed(server, text, speed=3.0, extras=QUIET)
    assert over_s == pytest.approx(top_s / 1.5, abs=0.01)
    for a, b in zip(top, over, strict=True):
        assert b["start"] == pytest.approx(a["start"] * over_s / top_s, abs=0.002)


def test_an_ssml_pause_shifts_the_words_after_it(server: RunningServer) -> None:
    plain_s, plain = timed(server, "Hello there. Good morning.", extras=QUIET)
    ssml = '<speak>Hello there.<break time="1500ms"/>Good morning.</speak>'
    paused_s, paused = timed(server, ssml, extras=QUIET)
    assert paused_s == pytest.approx(plain_s + 1.5, abs=0.02)
    assert paused[2]["start"] == pytest.approx(plain[2]["start"] + 1.5, abs=0.02)
    assert paused[0]["start"] == pytest.approx(plain[0]["start"], abs=0.02)


def test_sse_sends_each_segments_words_after_its_audio(server: RunningServer) -> None:
    body = {
        "model": "piper",
        "voice": VOICE,
        "input": TWO,
        "response_format": "pcm",
        "stream_format": "sse",
        "timestamps": True,
        "extras": QUIET,
    }
    events: list[dict[str, Any]] = []
    with httpx.stream("POST", f"{server.url}/v1/audio/speech", json=body, timeout=120) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "speech.audio.done"
    timings = [e for e in events if e["type"] == "speech.audio.words"]
    assert [t["segment"] for t in timings] == [0, 1]
    assert timings[0]["text"] == "The museum opens at ten."
    # Each segment's words come after (some of) its audio, and times run on across segments.
    assert kinds.index("speech.audio.delta") < kinds.index("speech.audio.words")
    audio = b"".join(base64.b64decode(e["audio"]) for e in events if e["type"] == "speech.audio.delta")
    seconds = len(audio) / 2 / 22050
    words = [w for t in timings for w in t["words"]]
    assert [w["word"] for w in words] == spoken(TWO)
    check_order(words, seconds)
    assert timings[1]["words"][0]["start"] > timings[0]["words"][-1]["end"]


def test_a_cached_answer_carries_the_timings_too(server: RunningServer) -> None:
    text = "Your parcel left our warehouse this morning."
    plain = speak(server, text)  # untimed: what the cache holds first
    assert plain.status_code == 200
    first = speak(server, text, timestamps=True)
    second = speak(server, text, timestamps=True)
    # The untimed entry cannot answer for timings: synthesised again, then served from the cache.
    assert first.headers["x-clarion-cache"] == "miss"
    assert second.headers["x-clarion-cache"] == "hit"
    assert first.json()["words"] == second.json()["words"]
    assert [w["word"] for w in second.json()["words"]] == spoken(text)
    assert speak(server, text).headers["x-clarion-cache"] == "hit"  # and it still serves plain requests


def test_engines_without_timings_refuse_them_with_a_400(server: RunningServer) -> None:
    r = speak(server, "Hello there.", model="hibari", voice="heart", timestamps=True)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "timestamps_unsupported" and error["param"] == "timestamps"
    assert "hibari" in error["message"] and "piper" in error["message"]
    # A raw audio stream has nowhere to put them.
    r = speak(server, "Hello there.", timestamps=True, stream=True)
    assert r.status_code == 400 and "sse" in r.json()["error"]["message"]


def ws_url(server: RunningServer) -> str:
    return server.url.replace("http://", "ws://") + "/v1/audio/speech/stream"


async def ws_session(
    server: RunningServer, settings: dict[str, Any], texts: list[str]
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    audio = bytearray()
    async with connect(ws_url(server), max_size=None) as ws:
        await ws.send(json.dumps(settings))
        for text in texts:
            await ws.send(json.dumps({"type": "text", "text": text}))
        await ws.send(json.dumps({"type": "close"}))
        try:
            while True:
                message = await asyncio.wait_for(ws.recv(), 120)
                if isinstance(message, str):
                    events.append(json.loads(message))
                else:
                    audio += message
        except ConnectionClosed as e:
            events.append({"type": "closed", "code": e.rcvd.code if e.rcvd else None, "audio": len(audio)})
    return events


def test_websocket_segment_end_carries_each_segments_words(server: RunningServer) -> None:
    settings = {"model": "piper", "voice": VOICE, "timestamps": True, "extras": QUIET}
    events = asyncio.run(
        ws_session(server, settings, ["The museum opens at ten. ", "Guided tours start soon."])
    )
    assert events[0]["type"] == "ready" and events[0]["timestamps"] is True
    ends = [e for e in events if e["type"] == "segment.end"]
    starts = {e["segment"]: e["text"] for e in events if e["type"] == "segment.start"}
    assert len(ends) >= 2
    heard: list[str] = []
    for end in ends:
        words = end["words"]
        # Times from the start of this segment's audio.
        check_order(words, end["audio_seconds"])
        assert [w["word"] for w in words] == spoken(starts[end["segment"]])
        heard += [w["word"] for w in words]
    assert heard == spoken("The museum opens at ten. Guided tours start soon.")
    assert events[-1]["code"] == 1000


def test_websocket_timestamps_on_an_engine_without_them_is_refused(server: RunningServer) -> None:
    settings = {"model": "hibari", "voice": "heart", "timestamps": True}
    events = asyncio.run(ws_session(server, settings, []))
    error = events[0]
    assert error["type"] == "error" and error["fatal"] is True
    assert error["error"]["code"] == "timestamps_unsupported"
    assert events[-1]["code"] == 1008


def test_word_timings_cross_the_process_boundary() -> None:
    settings = Settings(
        engines=["piper"],
        default_engine="piper",
        isolation="process",
        request_timeout_s=120,
        engine_options={"piper": EngineOptions(workers=1)},
    )
    with serve(settings) as running:
        model = httpx.get(f"{running.url}/v1/models").json()["data"][0]
        assert model["engine"]["isolation"]["mode"] == "process"
        assert model["engine"]["word_timestamps"] is True
        seconds, words = timed(running, TWO, extras=QUIET)
    assert [w["word"] for w in words] == spoken(TWO)
    check_order(words, seconds)
    assert words[5]["start"] > words[4]["end"]


@pytest.mark.slow
def test_piper_word_starts_agree_with_whisper(server: RunningServer) -> None:
    pytest.importorskip("faster_whisper", reason="the quality extra is not installed")
    from clarion.optimize.asr import word_times

    text = "At the next roundabout, take the second exit and continue for about two miles."
    r = speak(server, text, timestamps=True, response_format="wav", extras=QUIET)
    body = r.json()
    with wave.open(io.BytesIO(base64.b64decode(body["audio"]))) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    heard = [(w, start) for w, start, _ in word_times(samples, rate)]
    ours = [(w["word"], w["start"]) for w in body["words"]]
    assert len(heard) == len(ours), (heard, ours)
    errors = [abs(a[1] - b[1]) for a, b in zip(heard, ours, strict=True)]
    assert float(np.median(errors)) < 0.15, (heard, ours)
