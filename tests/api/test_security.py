"""API keys, rate limits, body limits, CORS and hostile input: always a 4xx with an
OpenAI-style body, never a 5xx, and keys never reach the logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from clarion.config import Settings
from tests.server import RunningServer, serve

KEY = "sk-test-0123456789abcdef"
FILE_KEY = "sk-from-a-mounted-secret"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    secret = tmp_path_factory.mktemp("secrets") / "api_keys"
    secret.write_text(f"# one per line\n{FILE_KEY}\n", encoding="utf-8")
    settings = Settings(
        engines=["hibari"],
        api_keys=[SecretStr(KEY)],
        api_keys_file=secret,
        rate_limit_per_minute=60,
        rate_limit_burst=3,
        cors_origins=["https://app.example"],
        max_body_bytes=4096,
    )
    with serve(settings) as running:
        yield running


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def speech(text: str = "Hi.") -> dict[str, object]:
    return {"model": "hibari", "voice": "heart", "input": text, "response_format": "wav"}


ROUTES = [
    ("POST", "/v1/audio/speech"),
    ("GET", "/v1/tts?text=hi"),
    ("GET", "/v1/models"),
    ("GET", "/v1/audio/voices"),
    ("POST", "/v1/text/normalize"),
    ("GET", "/v1/text/lexicon"),
    ("GET", "/metrics"),
]  # /docs and /openapi.json open without a key: tests/api/test_http_gaps.py


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_but_health_needs_a_key(server: RunningServer, method: str, path: str) -> None:
    r = httpx.request(method, f"{server.url}{path}", json={"input": "x"} if method == "POST" else None)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["type"] == "authentication_error"
    wrong = httpx.request(method, f"{server.url}{path}", headers=auth("sk-wrong"))
    assert wrong.status_code == 401
    assert wrong.json()["error"]["message"] == "invalid API key"


def test_health_is_open(server: RunningServer) -> None:
    assert httpx.get(f"{server.url}/health/live").status_code == 200
    assert httpx.get(f"{server.url}/health/ready").status_code == 200


def test_keys_from_settings_and_from_a_file_work(server: RunningServer) -> None:
    for key in (KEY, FILE_KEY):
        r = httpx.get(f"{server.url}/v1/models", headers=auth(key))
        assert r.status_code == 200, r.text


def test_rate_limit_per_key_answers_429_with_retry_after(server: RunningServer) -> None:
    limited = None
    for _ in range(10):
        r = httpx.get(f"{server.url}/v1/audio/voices", headers=auth(FILE_KEY))
        if r.status_code == 429:
            limited = r
            break
    assert limited is not None
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["type"] == "rate_limit_error"


def test_oversized_body_is_413(server: RunningServer) -> None:
    r = httpx.post(f"{server.url}/v1/audio/speech", json=speech("x" * 10_000), headers=auth())
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        yield b'{"model": "hibari", "voice": "heart", "input": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    r = httpx.post(
        f"{server.url}/v1/audio/speech",
        content=chunks(),
        headers={**auth(), "content-type": "application/json"},
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"model=hibari&input=hi", "application/x-www-form-urlencoded"),
        (b"\x00\xff\xfe", "application/octet-stream"),
        (b"[]", "application/json"),
        (b'{"model": "../../etc/passwd", "voice": "heart", "input": "x"}', "application/json"),
        (b'{"model": "hibari", "voice": "../../../etc/passwd", "input": "x"}', "application/json"),
        (b'{"model": "hibari", "voice": "heart\\u0000", "input": "x"}', "application/json"),
        (b'{"model": "hibari", "voice": "heart", "input": "x", "speed": "fast"}', "application/json"),
    ],
)
def test_hostile_bodies_get_4xx_not_5xx(server: RunningServer, content: bytes, content_type: str) -> None:
    r = httpx.post(
        f"{server.url}/v1/audio/speech", content=content, headers={**auth(), "content-type": content_type}
    )
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert set(r.json()["error"]) == {"message", "type", "param", "code"}


def test_cors_preflight_and_headers(server: RunningServer) -> None:
    pre = httpx.options(
        f"{server.url}/v1/audio/speech",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "https://app.example"
    other = httpx.options(
        f"{server.url}/v1/audio/speech",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert other.headers.get("access-control-allow-origin") is None


def test_keys_never_reach_the_logs(server: RunningServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        httpx.post(f"{server.url}/v1/audio/speech", json=speech(), headers=auth())
        httpx.get(f"{server.url}/v1/models", headers=auth("sk-wrong-key-xyz"))
    assert KEY not in caplog.text and "sk-wrong-key-xyz" not in caplog.text
    assert all(KEY not in str(r.__dict__) for r in caplog.records)


def test_settings_do_not_reveal_keys() -> None:
    settings = Settings(api_keys=[SecretStr(KEY)])
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())


def test_no_keys_means_no_auth(tmp_path: Path) -> None:
    with serve(Settings(engines=["hibari"])) as running:
        assert httpx.get(f"{running.url}/v1/models").status_code == 200
