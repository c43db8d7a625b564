"""Faults a production server meets: clients that vanish mid-stream, clients that read
slowly, and a full disk under the data directory."""

from __future__ import annotations

import concurrent.futures
import math
import random
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from clarion.config import EngineOptions, Settings
from tests.server import RunningServer, serve
from tests.signals import rss_mb

SENTENCE = "This sentence is one of many in a long answer that is streamed."


def settle(server: RunningServer, timeout: float = 15.0) -> None:
    """Wait until no segment is queued or running and no stream is open."""
    rt = server.service.runtimes["hibari"]
    deadline = time.monotonic() + timeout
    while rt.batcher.queue_depth or rt.batcher.in_flight or server.app.state.speech._streams:
        assert time.monotonic() < deadline, "work left behind after the clients went away"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    # A long deadline: on a loaded CI machine admission control must not refuse the long texts,
    # nor the deadline cut the slow reader's stream; neither is what these tests are about.
    settings = Settings(engines=["hibari"], cache_memory_mb=0, max_input_chars=20_000, request_timeout_s=600)
    with serve(settings) as running:
        yield running


def stream_then_leave(server: RunningServer, sentences: int, keep: int) -> int:
    body = {"model": "hibari", "voice": "heart", "input": " ".join([SENTENCE] * sentences)}
    body |= {"response_format": "pcm", "stream": True}
    got = 0
    with httpx.stream("POST", f"{server.url}/v1/audio/speech", json=body, timeout=60) as r:
        assert r.status_code == 200
        for chunk in r.iter_raw():
            got += len(chunk)
            if got >= keep:
                break  # leaving the block closes the connection mid-stream
    return got


def test_clients_leaving_mid_stream_leave_nothing_behind(server: RunningServer) -> None:
    rng = random.Random(7)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        # Warm every path before measuring, four clients at once as below and as long as the
        # longest of them: the first time the server serves four such streams together it sizes
        # its buffers and allocator arenas for them (once, not per stream), which is not what
        # the bound below is about. Three-sentence streams left 40-60 MB of that to the bound.
        list(pool.map(lambda k: stream_then_leave(server, 12, k), [400_000] * 4))
        settle(server)
        tasks, rss = server.tasks(), rss_mb()
        cuts = [rng.randint(1, 400_000) for _ in range(24)]
        list(pool.map(lambda k: stream_then_leave(server, 12, k), cuts))
    settle(server)
    dropped = server.service.runtimes["hibari"].batcher.stats.dropped_cancelled
    assert dropped > 0  # queued sentences of departed clients were dropped, not synthesised
    assert server.tasks() <= tasks + 2
    assert rss_mb() - rss < 40
    ok = httpx.post(
        f"{server.url}/v1/audio/speech",
        json={"model": "hibari", "voice": "heart", "input": "Still fine.", "response_format": "wav"},
    )
    assert ok.status_code == 200


def test_a_slow_reader_holds_back_synthesis_instead_of_buffering_it(server: RunningServer) -> None:
    rt = server.service.runtimes["hibari"]
    settle(server)
    before = rt.batcher.stats.submitted
    sentences = 150
    payload = (
        '{"model":"hibari","voice":"heart","response_format":"pcm","stream":true,"input":"'
        + " ".join([SENTENCE] * sentences)
        + '"}'
    ).encode()
    host, port = server.url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16_384)
        sock.connect((host, int(port)))
        sock.sendall(
            b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        read = 0
        for _ in range(40):  # 4 s of a reader taking 4 kB every 0.1 s
            read += len(sock.recv(4096))
            time.sleep(0.1)
        held_back = rt.batcher.stats.submitted - before
        # What may be ahead of the reader: the lookahead, plus what the kernel's socket
        # buffers and the server's transport buffer hold, counted in sentences.
        sentence_bytes = 24_000 * 2 * 3.0  # at least 3 s of 16-bit audio per sentence
        wmem_max = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
        bound = (
            server.service.settings.lookahead + 2 + math.ceil((wmem_max + 16_384 + 65_536) / sentence_bytes)
        )
        assert held_back <= bound < sentences
        sock.settimeout(60)
        while chunk := sock.recv(65_536):  # now read it all, fast
            read += len(chunk)
            if chunk.endswith(b"0\r\n\r\n"):
                break
    assert rt.batcher.stats.submitted - before == sentences
    assert read > sentences * sentence_bytes * 0.8


@pytest.fixture
def tiny_disk(small_disk: Callable[[str], Path]) -> Path:
    return small_disk("384k")


def test_a_full_disk_under_the_cache_and_jobs_is_survived(tiny_disk: Path) -> None:
    settings = Settings(
        engines=["hibari"],
        data_dir=tiny_disk,
        cache_memory_mb=64,
        cache_disk_mb=100,  # more than the disk has: writes will fail
        batch_inline_max_items=1,
        engine_options={"hibari": EngineOptions(workers=1)},
        request_timeout_s=600,  # see the module's server
    )
    with serve(settings) as server:
        body = {"model": "hibari", "voice": "heart", "response_format": "wav"}
        long = " ".join([SENTENCE] * 6)  # about 20 s of float32 audio: more than the disk holds
        first = httpx.post(f"{server.url}/v1/audio/speech", json=body | {"input": long}, timeout=60)
        assert first.status_code == 200  # the cache could not keep it on disk; the answer is whole
        again = httpx.post(f"{server.url}/v1/audio/speech", json=body | {"input": long}, timeout=60)
        assert again.headers["x-clarion-cache"] == "hit" and again.content == first.content  # memory tier
        assert not list((tiny_disk / "cache").glob("*.tmp"))
        items = [{"input": long, "id": f"long-{i}"} for i in range(4)]
        job = httpx.post(f"{server.url}/v1/audio/speech/batch", json=body | {"items": items}, timeout=60)
        assert job.status_code == 202
        deadline = time.monotonic() + 300  # 24 sentences, on a machine that may be busy
        while (status := httpx.get(f"{server.url}/v1/audio/speech/batch/{job.json()['id']}").json())[
            "status"
        ] in (
            "queued",
            "running",
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert status["status"] == "failed"
        assert "no space left" in status["error"] and "finished items are kept" in status["error"]
        items_dir = tiny_disk / "jobs" / job.json()["id"] / "items"
        assert not [p for p in items_dir.iterdir() if p.name.endswith(".tmp")]  # nothing half-written
        ready = httpx.get(f"{server.url}/health/ready")
        assert ready.status_code == 200
