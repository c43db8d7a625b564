"""/metrics, request ids and the access log, on a real server."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from clarion.config import Settings
from tests.server import RunningServer, serve


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(Settings(engines=["hibari"])) as running:
        yield running


def speak(server: RunningServer, text: str, voice: str = "heart", **headers: str) -> httpx.Response:
    body = {"model": "hibari", "voice": voice, "input": text, "response_format": "wav"}
    return httpx.post(f"{server.url}/v1/audio/speech", json=body, headers=headers, timeout=60)


def samples(server: RunningServer) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(f"{server.url}/metrics").text
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(m: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return m.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_audio_and_latency(server: RunningServer) -> None:
    before = samples(server)
    assert speak(server, "One small step.").status_code == 200
    assert speak(server, "Two small steps. And another.").status_code == 200
    assert speak(server, "Hi.", voice="nobody").status_code == 400
    after = samples(server)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ok = {"route": "/v1/audio/speech", "method": "POST", "status": "200"}
    assert delta("clarion_requests_total", **ok) == 2
    assert delta("clarion_requests_total", route="/v1/audio/speech", method="POST", status="400") == 1
    assert delta("clarion_time_to_first_audio_seconds_count", engine="hibari") == 2
    assert delta("clarion_synthesis_duration_seconds_count", engine="hibari") == 2
    assert delta("clarion_characters_total", engine="hibari", voice="heart") == len("One small step.") + len(
        "Two small steps. And another."
    )
    assert delta("clarion_audio_seconds_total", engine="hibari", voice="heart") > 1.0
    assert delta("clarion_batch_size_count", engine="hibari") == 3  # three sentences
    assert delta("clarion_real_time_factor_count", engine="hibari") == 3
    assert value(after, "clarion_queue_depth", engine="hibari") == 0
    assert value(after, "clarion_workers", engine="hibari") >= 1
    assert value(after, "clarion_ready") == 1
    assert value(after, "process_resident_memory_bytes") > 10e6
    assert value(after, "clarion_python_allocated_blocks") > 100_000
    assert value(after, "clarion_heap_in_use_bytes") > 10e6  # the models' weights, at least
    # An unknown voice never becomes a label value.
    assert not any(("voice", "nobody") in labels for _, labels in after)


def test_rejections_are_counted_by_reason(server: RunningServer) -> None:
    before = value(samples(server), "clarion_rejected_total", reason="input_too_long")
    assert speak(server, "word " * 20_000).status_code == 413
    assert value(samples(server), "clarion_rejected_total", reason="input_too_long") == before + 1


def test_request_ids_are_echoed_or_made(server: RunningServer) -> None:
    r = speak(server, "Hello.", **{"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    made = speak(server, "Hello.").headers["x-request-id"]
    assert len(made) == 32 and int(made, 16) >= 0
    unsafe = speak(server, "Hello.", **{"X-Request-ID": "a b\tc" * 10}).headers["x-request-id"]
    assert unsafe != "a b\tc" * 10 and len(unsafe) == 32


def test_one_access_line_per_request_without_the_text(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="clarion.access"):
        speak(server, "Private words here. And a second sentence.", **{"X-Request-ID": "log-test-1"})
    lines = [r for r in caplog.records if getattr(r, "request_id", None) == "log-test-1"]
    assert len(lines) == 1
    line = lines[0].__dict__
    assert line["route"] == "/v1/audio/speech" and line["status"] == 200
    assert line["engine"] == "hibari" and line["voice"] == "heart"
    assert line["characters"] == len("Private words here. And a second sentence.")
    assert line["audio_s"] > 0.5 and 0 < line["ttfa_s"] <= line["latency_s"]
    # Scheduling, as the batcher saw it: two segments, each in some batch, queued briefly.
    assert line["segments"] == 2 and line["batch_size"] >= 1
    assert 0 <= line["queue_wait_s"] < line["latency_s"]
    assert "text" not in line
    assert "Private words" not in caplog.text


def test_text_is_logged_only_when_enabled(caplog: pytest.LogCaptureFixture) -> None:
    with (
        serve(Settings(engines=["hibari"], log_text=True)) as running,
        caplog.at_level(logging.INFO, logger="clarion.access"),
    ):
        speak(running, "Loggable words.", **{"X-Request-ID": "log-test-2"})
    lines = [r for r in caplog.records if getattr(r, "request_id", None) == "log-test-2"]
    assert lines[0].__dict__["text"] == "Loggable words."


def test_stats_route_summarises_recent_requests(server: RunningServer) -> None:
    before = httpx.get(f"{server.url}/v1/stats").json()
    for _ in range(3):
        assert speak(server, "A sentence for the stats.").status_code == 200
    stats = httpx.get(f"{server.url}/v1/stats").json()
    assert stats["window_s"] == 300
    assert stats["requests"] == before["requests"] + 3
    assert 0 < stats["ttfa_p50_s"] <= stats["ttfa_p95_s"] < 30
    assert 0 < stats["rtf_p50"] < 5  # wall time per audio second; hibari runs faster than real time
    workers = server.service.runtimes["hibari"].batcher.executor.workers
    assert stats["engines"]["hibari"] == {"queue_depth": 0, "in_flight": 0, "workers": workers}
