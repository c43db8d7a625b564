"""Bad input gets the right status and an OpenAI-style body that says what to fix;
overload and deadlines are answered, not hung; streamed failures before the first
chunk keep a real status code."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import ClassVar

import httpx
import numpy as np
import openai
import pytest

from clarion.config import EngineOptions, Settings
from clarion.engines.base import Audio, Capabilities, Segment
from clarion.engines.hibari import HibariEngine
from clarion.engines.null import NullEngine
from tests.polling import wait_until
from tests.server import RunningServer, serve


class FlakyEngine(NullEngine):
    """The real null engine, except that it fails on text containing 'explode' and can be held."""

    name: ClassVar[str] = "flaky"
    capabilities: ClassVar[Capabilities] = Capabilities(languages=("en",), speed_range=(0.25, 4.0))
    gate = threading.Event()

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        self.gate.wait(30)
        if any("explode" in s.text for s in batch):
            raise RuntimeError("vocoder blew up")
        return super().synthesize(batch)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    settings = Settings(
        engines=["hibari"],
        max_input_chars=2000,
        max_concurrent_streams=2,
        engine_options={"flaky": EngineOptions(workers=1, queue_size=2)},
    )
    FlakyEngine.gate.set()
    engines = {"hibari": HibariEngine(settings), "flaky": FlakyEngine(settings)}
    with serve(settings, engines) as running:
        yield running


def post(server: RunningServer, body: dict[str, object], **kw: object) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30, **kw)  # type: ignore[arg-type]


def error_of(r: httpx.Response) -> dict[str, object]:
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert isinstance(err["message"], str) and err["message"]
    return err  # type: ignore[no-any-return]


def test_unknown_model_is_404_and_lists_the_valid_ones(server: RunningServer) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError) as info:
        client.audio.speech.create(model="nope", voice="heart", input="Hi.")
    body = info.value.body
    assert isinstance(body, dict)
    assert "hibari" in body["message"] and "flaky" in body["message"]
    assert body["code"] == "model_not_found"


def test_unknown_voice_is_400_and_lists_the_valid_ones(server: RunningServer) -> None:
    r = post(server, {"model": "hibari", "voice": "nobody", "input": "Hi."})
    assert r.status_code == 400
    err = error_of(r)
    assert err["param"] == "voice"
    assert "heart" in str(err["message"])


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "hibari", "voice": "heart", "input": ""}, "input"),
        ({"model": "hibari", "voice": "heart"}, "input"),
        ({"model": "hibari", "voice": "heart", "input": "Hi.", "response_format": "mp4"}, "response_format"),
        ({"model": "hibari", "voice": "heart", "input": "Hi.", "speed": 9}, "speed"),
        ({"model": "hibari", "voice": "heart", "input": "Hi.", "sample_rate": 5}, "sample_rate"),
        ({"model": "hibari", "voice": "heart", "input": "Hi.", "bogus": 1}, "bogus"),
        ({"model": "hibari", "voice": "heart", "input": "Hi.", "timeout": 100000}, "timeout"),
        ({"model": "hibari", "voice": "heart", "input": "Hi.", "extras": {"x": 1}}, "extras"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(
    server: RunningServer, body: dict[str, object], param: str
) -> None:
    r = post(server, body)
    assert r.status_code == 400, r.text
    err = error_of(r)
    assert err["type"] == "invalid_request_error"
    assert err["param"] == param


def test_malformed_json_is_400_saying_where(server: RunningServer) -> None:
    r = httpx.post(
        f"{server.url}/v1/audio/speech",
        content=b'{"model": "hibari", oops}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    err = error_of(r)
    assert str(err["message"]).startswith("the body is not valid JSON (at character 20)")
    assert err["param"] is None  # not a bare offset posing as a field name


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_json_without_its_content_type_says_which_to_send(
    server: RunningServer, content_type: str | None
) -> None:
    body = b'{"model": "hibari", "voice": "heart", "input": "Hi."}'
    headers = {"content-type": content_type} if content_type else {}
    r = httpx.post(f"{server.url}/v1/audio/speech", content=body, headers=headers)
    assert r.status_code == 400
    message = str(error_of(r)["message"])
    assert "Content-Type: application/json" in message
    assert (content_type or "none") in message


def test_empty_and_non_object_bodies_are_named(server: RunningServer) -> None:
    headers = {"content-type": "application/json"}
    empty = httpx.post(f"{server.url}/v1/audio/speech", content=b"", headers=headers)
    assert error_of(empty)["message"] == "the body is empty: send a JSON object"
    array = httpx.post(f"{server.url}/v1/audio/speech", content=b"[]", headers=headers)
    assert "must be a JSON object" in str(error_of(array)["message"])


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"9", b"0.1"])
def test_speed_out_of_range_or_not_finite_names_both_bounds(server: RunningServer, raw: bytes) -> None:
    body = b'{"model": "hibari", "voice": "heart", "input": "Hi.", "speed": ' + raw + b"}"
    r = httpx.post(
        f"{server.url}/v1/audio/speech", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    err = error_of(r)
    assert err["param"] == "speed"
    assert "must be a number from 0.25 to 4" in str(err["message"])
    quick = httpx.get(f"{server.url}/v1/tts", params={"text": "Hi.", "speed": raw.decode().lower()})
    assert quick.status_code == 400
    assert "must be a number from 0.25 to 4" in str(error_of(quick)["message"])


def test_quick_get_names_its_own_input_limit(server: RunningServer) -> None:
    r = httpx.get(f"{server.url}/v1/tts", params={"text": "a " * 750}, timeout=30)  # over 1,000, under 2,000
    assert r.status_code == 413
    message = str(error_of(r)["message"])
    assert "CLARION_MAX_GET_INPUT_CHARS" in message and "CLARION_MAX_INPUT_CHARS" not in message


def test_too_long_input_is_413(server: RunningServer) -> None:
    r = post(server, {"model": "hibari", "voice": "heart", "input": "a " * 2000})
    assert r.status_code == 413
    assert "2000" in str(error_of(r)["message"])


def test_chinese_text_on_an_english_voice_is_explained(server: RunningServer) -> None:
    r = post(server, {"model": "hibari", "voice": "heart", "input": "你好", "stream": True})
    assert r.status_code == 400
    assert "Mandarin" in str(error_of(r)["message"])


def test_unknown_route_is_404_json(server: RunningServer) -> None:
    r = httpx.get(f"{server.url}/v1/nothing-here")
    assert r.status_code == 404
    error_of(r)


def test_engine_failure_on_first_chunk_keeps_a_real_status_when_streaming(server: RunningServer) -> None:
    r = post(server, {"model": "flaky", "voice": "null", "input": "This will explode. Fine.", "stream": True})
    assert r.status_code == 500
    err = error_of(r)
    assert err["code"] == "engine_error"
    assert "vocoder blew up" in str(err["message"])
    # ... and the engine keeps serving everyone else.
    ok = post(
        server, {"model": "flaky", "voice": "null", "input": "All good here.", "response_format": "wav"}
    )
    assert ok.status_code == 200


def test_deadline_is_504_naming_the_limit(server: RunningServer) -> None:
    FlakyEngine.gate.clear()
    try:
        r = post(server, {"model": "flaky", "voice": "null", "input": "Slow. " * 5, "timeout": 0.3})
    finally:
        FlakyEngine.gate.set()
    assert r.status_code == 504
    assert "deadline" in str(error_of(r)["message"])


def test_full_queue_is_503_with_retry_after(server: RunningServer) -> None:
    results: list[httpx.Response] = []

    def send() -> None:
        body = {"model": "flaky", "voice": "null", "input": "One.", "response_format": "wav"}
        results.append(httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30))

    FlakyEngine.gate.clear()
    threads = [threading.Thread(target=send) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        # One runs (held), two fill the queue of 2, the fourth is refused at once.
        deadline = time.monotonic() + 15
        while not results and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # room for a wrong second answer to show up
        refused = list(results)
    finally:
        FlakyEngine.gate.set()
        for t in threads:
            t.join(30)
    assert [r.status_code for r in refused] == [503]
    assert int(refused[0].headers["retry-after"]) >= 1
    assert error_of(refused[0])["code"] == "queue_full"
    assert sorted(r.status_code for r in results) == [200, 200, 200, 503]


def test_client_disconnect_mid_stream_drops_queued_work(server: RunningServer) -> None:
    batcher = server.service.runtimes["hibari"].batcher
    before = batcher.stats.completed
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    with httpx.stream(
        "POST",
        f"{server.url}/v1/audio/speech",
        timeout=30,
        # A generous deadline: admission control is not under test, and on a machine busy with
        # another suite it would refuse sixty sentences in the default 60 s (CI saw that 429).
        json={
            "model": "hibari",
            "voice": "heart",
            "input": text,
            "stream": True,
            "response_format": "pcm",
            "timeout": 600,
        },
    ) as r:
        assert r.status_code == 200
        next(r.iter_raw())
    time.sleep(1.0)
    done = batcher.stats.completed - before
    assert done < 30, done  # far from all 60 sentences were synthesised for nobody
    assert batcher.queue_depth == 0
    # The engine still answers.
    ok = post(server, {"model": "hibari", "voice": "heart", "input": "Still here.", "response_format": "wav"})
    assert ok.status_code == 200
    assert np.frombuffer(ok.content[44:], "<i2").std() > 100


def test_open_streams_are_capped_with_503(server: RunningServer) -> None:
    results: list[httpx.Response] = []

    def stream() -> None:
        body = {"model": "flaky", "voice": "null", "input": "Held.", "stream": True, "response_format": "pcm"}
        results.append(httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30))

    FlakyEngine.gate.clear()
    threads = [threading.Thread(target=stream) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        # Both streams open, waiting for their first chunk; a slow machine may take a while.
        speech = server.app.state.speech
        wait_until(lambda: speech.open_streams >= 2, timeout=60)
        assert speech.open_streams == 2
        body = {"model": "flaky", "voice": "null", "input": "Third.", "stream": True}
        third = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30)
        assert third.status_code == 503
        assert error_of(third)["code"] == "too_many_streams"
        assert "retry-after" in third.headers
    finally:
        FlakyEngine.gate.set()
        for t in threads:
            t.join(30)
    assert [r.status_code for r in results] == [200, 200]
    # The slots are released: streaming works again.
    body = {"model": "flaky", "voice": "null", "input": "Again.", "stream": True, "response_format": "pcm"}
    assert httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30).status_code == 200
