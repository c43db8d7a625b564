"""SIGTERM on a real `clarion serve` process under load: it stops taking connections,
finishes every request already in flight, then exits."""

from __future__ import annotations

import concurrent.futures
import signal
import time

import httpx

from clarion.audio.decode import decode
from tests.server import serve_process

TEXT = " ".join(f"This is sentence number {i} of a long answer." for i in range(12))


def test_sigterm_drains_in_flight_requests() -> None:
    env = {
        "CLARION_ENGINE_OPTIONS__HIBARI__WORKERS": "1",
        "CLARION_CACHE_MEMORY_MB": "0",
        # Admission control and the grace period are not under test: on a busy machine they
        # would refuse these long texts, or cut them.
        "CLARION_REQUEST_TIMEOUT_S": "600",
        "CLARION_SHUTDOWN_GRACE_S": "300",
    }
    with serve_process("-e", "hibari", env=env) as server:

        def speak(_: int) -> httpx.Response:
            body = {"model": "hibari", "voice": "heart", "input": TEXT, "response_format": "wav"}
            return httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=120)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(speak, i) for i in range(4)]
            # All four admitted: each keeps `lookahead` (4) sentences queued or running.
            deadline = time.monotonic() + 60
            while True:
                load = httpx.get(f"{server.url}/v1/stats").json()["engines"]["hibari"]
                if load["queue_depth"] + load["in_flight"] >= 13:
                    break
                assert time.monotonic() < deadline, load
                time.sleep(0.02)
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            refused = False
            try:
                httpx.get(f"{server.url}/health/live", timeout=2)
            except httpx.TransportError:
                refused = True
            results = [f.result() for f in futures]
        code = server.proc.wait(60)
    assert all(r.status_code == 200 for r in results), [r.text[:300] for r in results]
    assert refused, "a new connection was accepted after SIGTERM"
    assert [r.status_code for r in results] == [200] * 4
    for r in results:
        samples, rate = decode(r.content, "wav")
        assert len(samples) / rate > 20  # the whole answer, not a cut-off one
    assert code in (0, -signal.SIGTERM)
