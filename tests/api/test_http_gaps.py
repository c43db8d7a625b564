"""Small protocol gaps (issue 27, item 6), against a real server with API keys set: HEAD on the
health checks, /docs that opens and takes a key, OpenAI's current voice names, and
``instructions`` passed on to engines that use them."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import ClassVar

import httpx
import openai
import pytest
from pydantic import Field, SecretStr

from clarion.config import Settings
from clarion.engines.base import Audio, Capabilities, EngineExtras, Segment
from clarion.engines.hibari import HibariEngine
from clarion.engines.null import NullEngine
from tests.server import RunningServer, serve

KEY = "sk-gaps-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
# OpenAI's voice list as of the speech API's gpt-4o-mini-tts release.
OPENAI_VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse",
    "marin", "cedar",
)  # fmt: skip


class StyleExtras(EngineExtras):
    style: str | None = Field(default=None, max_length=500)


class StyledEngine(NullEngine):
    """The null engine, with a style control that a request's ``instructions`` fill."""

    name: ClassVar[str] = "styled"
    capabilities: ClassVar[Capabilities] = Capabilities(
        languages=("en",), speed_range=(0.25, 4.0), instructions_extra="style"
    )
    request_extras: ClassVar[type[EngineExtras]] = StyleExtras
    seen: ClassVar[list[dict[str, object]]] = []
    lock = threading.Lock()

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        with self.lock:
            self.seen.extend(dict(s.extras) for s in batch)
        return super().synthesize(batch)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    settings = Settings(engines=["hibari"], api_keys=[SecretStr(KEY)])
    engines = {"hibari": HibariEngine(settings), "styled": StyledEngine(settings)}
    with serve(settings, engines) as running:
        yield running


def test_head_answers_on_both_health_checks(server: RunningServer) -> None:
    for path in ("/health/live", "/health/ready"):
        r = httpx.head(f"{server.url}{path}")
        assert r.status_code == 200, (path, r.status_code)
        assert r.content == b""
        assert r.headers["content-type"] == "application/json"


def test_docs_open_without_a_key_and_declare_how_to_send_one(server: RunningServer) -> None:
    page = httpx.get(f"{server.url}/docs")
    assert page.status_code == 200
    assert "swagger-ui" in page.text and "/openapi.json" in page.text
    schema = httpx.get(f"{server.url}/openapi.json")
    assert schema.status_code == 200
    doc = schema.json()
    # Swagger UI's Authorize button comes from this scheme; the routes require it.
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert doc["paths"]["/v1/audio/speech"]["post"]["security"] == [{"bearer": []}]
    # The API itself still needs the key, and the 401 says how to give it.
    refused = httpx.get(f"{server.url}/v1/models")
    assert refused.status_code == 401
    message = refused.json()["error"]["message"]
    assert "Authorization: Bearer" in message and "/docs" in message
    assert httpx.post(f"{server.url}/openapi.json").status_code == 401  # only reading is open


def test_every_current_openai_voice_name_is_served(server: RunningServer) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY, max_retries=0)
    for voice in OPENAI_VOICES:
        r = client.audio.speech.with_raw_response.create(
            model="tts-1",
            voice=voice,
            input="Hi.",
            response_format="wav",  # type: ignore[arg-type]
        )
        assert r.status_code == 200, voice
        # No Kokoro in this server: the default voice answers every OpenAI name.
        assert r.headers["x-clarion-voice"] == "heart"


def test_instructions_reach_an_engine_that_uses_them_and_are_declared(server: RunningServer) -> None:
    StyledEngine.seen.clear()
    body = {
        "model": "styled",
        "voice": "null",
        "input": "Hello there.",
        "instructions": "Speak cheerfully.",
        "response_format": "wav",
    }
    r = httpx.post(f"{server.url}/v1/audio/speech", json=body, headers=AUTH, timeout=30)
    assert r.status_code == 200, r.text
    assert StyledEngine.seen == [{"style": "Speak cheerfully."}]
    # An explicit extras value wins over the instructions.
    StyledEngine.seen.clear()
    r = httpx.post(
        f"{server.url}/v1/audio/speech",
        json={**body, "extras": {"style": "whisper"}, "cache": False},
        headers=AUTH,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert StyledEngine.seen == [{"style": "whisper"}]
    # Engines with no use for them accept them, and /v1/models says which is which.
    plain = {**body, "model": "hibari", "voice": "heart"}
    assert (
        httpx.post(f"{server.url}/v1/audio/speech", json=plain, headers=AUTH, timeout=30).status_code == 200
    )
    models = {m["id"]: m for m in httpx.get(f"{server.url}/v1/models", headers=AUTH).json()["data"]}
    assert models["styled"]["engine"]["instructions"] == "used, as extras.style"
    assert models["hibari"]["engine"]["instructions"] == "ignored"
