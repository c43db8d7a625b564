"""Process isolation on a real server: a killed or hung engine worker fails only the
request it held (503, retry), the worker restarts and the server is ready again."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from clarion.config import EngineOptions, Settings
from tests.api.test_observability import samples, value
from tests.faulty_engine import make
from tests.server import RunningServer, serve


def speak(server: RunningServer, model: str, voice: str, text: str) -> httpx.Response:
    body = {"model": model, "voice": voice, "input": text, "response_format": "wav"}
    return httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=60)


def wait_ready(server: RunningServer, timeout: float = 60) -> float:
    t0 = time.monotonic()
    while httpx.get(f"{server.url}/health/ready").status_code != 200:
        assert time.monotonic() - t0 < timeout, "not ready again in time"
        time.sleep(0.02)
    return time.monotonic() - t0


@pytest.fixture(scope="module")
def faulty() -> Iterator[RunningServer]:
    # Workers are cut at 4 s: long enough that an ordinary request on a machine busy with another
    # suite never reaches it, short enough for the hang test to wait out.
    settings = Settings(
        engines=["faulty"],
        default_engine="faulty",
        isolation="process",
        engine_options={
            "faulty": EngineOptions(workers=2, max_batch_size=1, worker_timeout_s=4, text_frontend=False)
        },
    )
    with serve(settings, make(settings)) as running:
        yield running


def test_models_report_the_worker_processes(faulty: RunningServer) -> None:
    info = httpx.get(f"{faulty.url}/v1/models").json()
    (model,) = [m for m in info["data"] if m["id"] == "faulty"]
    iso = model["engine"]["isolation"]
    assert iso["mode"] == "process" and iso["timeout_s"] == 4
    pids = [p["pid"] for p in iso["processes"]]
    assert len(pids) == 2 and os.getpid() not in pids
    # Each worker's memory is visible, since the server's own RSS no longer includes it.
    m = samples(faulty)
    for worker in ("0", "1"):
        rss = value(m, "clarion_worker_resident_memory_bytes", engine="faulty", worker=worker)
        assert 10e6 < rss < 2e9


def test_a_hung_request_gets_503_while_others_are_served(faulty: RunningServer) -> None:
    before = value(samples(faulty), "clarion_engine_events_total", engine="faulty", event="worker_hang")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        hung = pool.submit(speak, faulty, "faulty", "null", "HANG please.")
        time.sleep(0.2)
        t0 = time.monotonic()
        fine = [pool.submit(speak, faulty, "faulty", "null", f"Ordinary request {i}.") for i in range(3)]
        for f in fine:
            assert f.result().status_code == 200
        # Served by the other worker, not stuck behind the hang: all three are done while the
        # hung one still waits for its 4 s worker limit.
        assert not hung.done(), f"the hung request ended first ({time.monotonic() - t0:.2f} s)"
        r = hung.result()
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "engine_worker_lost"
    assert "did not answer within 4 s" in r.json()["error"]["message"]
    assert int(r.headers["Retry-After"]) >= 1
    wait_ready(faulty)
    assert speak(faulty, "faulty", "null", "After the hang.").status_code == 200
    after = value(samples(faulty), "clarion_engine_events_total", engine="faulty", event="worker_hang")
    assert after == before + 1


def test_an_engine_exception_is_a_500_and_no_restart(faulty: RunningServer) -> None:
    r = speak(faulty, "faulty", "null", "FAIL this one.")
    assert r.status_code == 500
    assert "cannot read" in r.json()["error"]["message"]
    assert httpx.get(f"{faulty.url}/health/ready").status_code == 200


@pytest.mark.slow
def test_killing_a_real_engine_worker_fails_its_request_and_recovers() -> None:
    settings = Settings(
        engines=["hibari"],
        isolation="process",
        engine_options={"hibari": EngineOptions(workers=1)},
        request_timeout_s=300,  # a loaded machine must not turn the long text into a 429
    )
    with serve(settings) as server:
        rt = server.service.runtimes["hibari"]
        (pid,) = [p["pid"] for p in rt.batcher.executor.describe()["processes"]]
        text = " ".join(f"This is sentence number {i} of a long text." for i in range(40))
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            fut = pool.submit(speak, server, "hibari", "heart", text)
            deadline = time.monotonic() + 30
            while rt.batcher.in_flight == 0:
                assert not fut.done(), fut.result().text  # refused or failed before it ran
                assert time.monotonic() < deadline
                time.sleep(0.005)
            t_kill = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            r = fut.result()
        assert r.status_code == 503, r.text
        assert "killed by SIGKILL" in r.json()["error"]["message"]
        # The only worker is restarting: readiness says so, so a balancer sends traffic elsewhere.
        state = httpx.get(f"{server.url}/health/ready")
        assert state.status_code == 503
        assert state.json() == {"status": "recovering", "engines_down": ["hibari"]}
        recovery = wait_ready(server)
        print(
            f"ready again {time.monotonic() - t_kill:.2f} s after the kill ({recovery:.2f} s after the 503)"
        )
        ok = speak(server, "hibari", "heart", "Back to normal.")
        assert ok.status_code == 200 and len(ok.content) > 10_000
        (proc,) = rt.batcher.executor.describe()["processes"]
        assert proc["restarts"] == 1 and proc["pid"] != pid
