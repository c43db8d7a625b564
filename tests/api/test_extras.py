"""Engine extras: one typed, validated path from the request to the engine."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from clarion.config import Settings
from clarion.engines.piper import PiperEngine
from tests.server import RunningServer, serve


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    pytest.importorskip("piper", reason="the piper extra is not installed")
    settings = Settings(engines=["piper", "hibari"], default_engine="piper")
    # Its own piper instance: stopping the server unloads the engines it was given.
    with serve(settings, {"piper": PiperEngine(settings), "hibari": _hibari(settings)}) as running:
        yield running


def _hibari(settings: Settings) -> object:
    from clarion.engines.hibari import HibariEngine

    return HibariEngine(settings)


def speak(server: RunningServer, model: str, extras: dict[str, object]) -> httpx.Response:
    body = {
        "model": model,
        "voice": "en_US-joe-medium" if model == "piper" else "heart",
        "input": "The quick brown fox jumps over the lazy dog.",
        "response_format": "pcm",
        "extras": extras,
        "cache": False,  # every call synthesises: the cache would answer repeats identically
    }
    return httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=60)


def test_valid_extras_reach_the_engine(server: RunningServer) -> None:
    # Piper draws fresh noise every call; with both noise scales at 0 it is deterministic,
    # which only happens if the extras got through to the model.
    quiet = {"noise_scale": 0, "noise_w_scale": 0}
    a, b = speak(server, "piper", quiet), speak(server, "piper", quiet)
    assert a.status_code == b.status_code == 200
    assert a.content == b.content
    c, d = speak(server, "piper", {}), speak(server, "piper", {})
    assert c.content != d.content


@pytest.mark.parametrize(
    ("extras", "needle"),
    [
        ({"temperature": 0.3}, "temperature: Extra inputs are not permitted"),
        ({"noise_scale": 5}, "noise_scale: Input should be less than or equal to 2"),
        ({"noise_scale": "loud"}, "noise_scale: Input should be a valid number"),
    ],
)
def test_bad_extras_are_refused_naming_the_valid_ones(
    server: RunningServer, extras: dict[str, object], needle: str
) -> None:
    r = speak(server, "piper", extras)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == "extras" and err["type"] == "invalid_request_error"
    assert needle in err["message"]
    assert "Valid extras: noise_scale, noise_w_scale" in err["message"]


def test_an_engine_without_extras_says_so(server: RunningServer) -> None:
    r = speak(server, "hibari", {"noise_scale": 0})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "engine 'hibari' takes no extras; got: noise_scale"


def test_models_publish_each_engines_extras_schema(server: RunningServer) -> None:
    cards = {m["id"]: m for m in httpx.get(f"{server.url}/v1/models").json()["data"]}
    schema = cards["piper"]["engine"]["extras"]
    assert set(schema["properties"]) == {"noise_scale", "noise_w_scale"}
    assert schema["additionalProperties"] is False
    assert cards["hibari"]["engine"]["extras"] is None
