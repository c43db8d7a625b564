"""Discovery routes, health and readiness, and cross-request batching seen through the API."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx
import openai
import pytest

from clarion.audio.decode import decode
from clarion.config import EngineOptions, Settings
from clarion.engines.null import NullEngine
from tests.server import RunningServer, serve


@pytest.fixture(scope="module")
def server(kokoro_models_dir: Path) -> Iterator[RunningServer]:
    pytest.importorskip("piper", reason="the piper extra is not installed")
    settings = Settings(
        engines=["hibari", "kokoro", "piper"],
        models_dir=kokoro_models_dir,
        # Piper batches along its batch axis: one worker that waits 200 ms for company.
        engine_options={"piper": EngineOptions(max_batch_size=4, max_wait_ms=200, workers=1)},
    )
    with serve(settings) as running:
        yield running


def test_models_lists_engines_with_scheduling_and_aliases(server: RunningServer) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="x")
    models = {m.id: m for m in client.models.list()}
    assert {"hibari", "kokoro", "piper", "tts-1"} <= set(models)
    piper = models["piper"].model_dump()["engine"]
    assert piper["scheduling"]["max_batch_size"] == 4
    assert piper["scheduling"]["workers"] == 1
    # Admission control's cost model, learned at warm-up: a long sentence costs more than "OK.".
    cost = models["kokoro"].model_dump()["engine"]["scheduling"]["cost"]
    assert cost["per_segment_s"] >= 0 and cost["per_char_s"] > 0
    assert piper["sample_rate"] == 22050
    assert models["tts-1"].model_dump()["alias_of"] == "auto"


def test_voices_carry_language_gender_and_licence(server: RunningServer) -> None:
    voices = httpx.get(f"{server.url}/v1/audio/voices").json()["voices"]
    by_id = {v["id"]: v for v in voices}
    assert by_id["heart"]["licence"] == "Apache-2.0"
    assert by_id["zf_xiaoxiao"]["language"] == "zh-CN"
    assert by_id["zf_xiaoxiao"]["gender"] == "female"
    assert "GPL-3.0" in by_id["en_US-joe-medium"]["licence"]
    zh = httpx.get(f"{server.url}/v1/audio/voices", params={"language": "zh"}).json()["voices"]
    assert zh and all(v["language"].startswith("zh") for v in zh)
    only = httpx.get(f"{server.url}/v1/audio/voices", params={"engine": "hibari"}).json()["voices"]
    assert [v["id"] for v in only] == ["heart"]


def test_health_routes(server: RunningServer) -> None:
    assert httpx.get(f"{server.url}/health/live").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/health/ready")
    assert ready.status_code == 200
    assert set(ready.json()["engines"]) == {"hibari", "kokoro", "piper"}


@pytest.mark.slow
def test_concurrent_requests_share_batches(server: RunningServer) -> None:
    batcher = server.service.runtimes["piper"].batcher
    before = sum(n * size for size, n in batcher.stats.batch_sizes.items())
    texts = [f"Request number {i} asks for a short sentence." for i in range(8)]

    def speak(text: str) -> bytes:
        body = {"model": "piper", "voice": "en_US-joe-medium", "input": text, "response_format": "wav"}
        r = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=120)
        r.raise_for_status()
        return r.content

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(speak, texts))
    sizes = batcher.stats.batch_sizes
    assert sum(n * size for size, n in sizes.items()) - before == 8
    assert max(sizes) > 1  # segments of different requests went through the model together
    for data in results:
        samples, rate = decode(data, "wav")
        assert rate == 22050
        assert 1.0 < len(samples) / rate < 6.0  # each request got its own trimmed audio


class SlowLoadingEngine(NullEngine):
    name: ClassVar[str] = "slow"
    release = threading.Event()

    def load(self, device: str, threads: int) -> None:
        self.release.wait(30)
        super().load(device, threads)


def test_ready_only_after_loading_and_warmup() -> None:
    settings = Settings(engines=["slow"], default_engine="slow")
    SlowLoadingEngine.release.clear()
    try:
        with serve(settings, {"slow": SlowLoadingEngine(settings)}, wait_ready=False) as running:
            ready = httpx.get(f"{running.url}/health/ready")
            assert ready.status_code == 503
            assert ready.json()["status"] == "loading"
            assert httpx.get(f"{running.url}/health/live").status_code == 200
            early = httpx.post(
                f"{running.url}/v1/audio/speech",
                json={"model": "slow", "voice": "null", "input": "Too early."},
            )
            assert early.status_code == 503
            assert early.json()["error"]["code"] == "not_ready"
            assert "retry-after" in early.headers
            SlowLoadingEngine.release.set()
            deadline = time.monotonic() + 30
            while httpx.get(f"{running.url}/health/ready").status_code != 200:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            late = httpx.post(
                f"{running.url}/v1/audio/speech", json={"model": "slow", "voice": "null", "input": "Now."}
            )
            assert late.status_code == 200
    finally:
        SlowLoadingEngine.release.set()
