"""Latency-aware admission: under overload, requests that would miss their deadline are
refused at once with 429, and every accepted request finishes within its deadline; one that
would miss it on an idle server is refused with 413, since no retry can help."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import ClassVar

import httpx
import pytest

from clarion.config import EngineOptions, Settings
from clarion.engines.base import Audio, Segment
from clarion.engines.null import NullEngine
from tests.server import RunningServer, serve

# Long enough that the server's own overhead per request, which grows on a busy machine, is
# small beside it: the estimate is then close to what happens.
SEGMENT_SECONDS = 0.5

# Client and server share this process: on a machine busy with another suite, its share of the
# CPU, not the prediction, would decide which request meets its deadline.
pytestmark = pytest.mark.timing


class SteadyEngine(NullEngine):
    """The null engine at a known, steady cost per segment."""

    name: ClassVar[str] = "steady"

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        time.sleep(SEGMENT_SECONDS * len(batch))
        return super().synthesize(batch)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    settings = Settings(
        engines=["steady"],
        default_engine="steady",
        engine_options={"steady": EngineOptions(workers=1)},
    )
    with serve(settings, {"steady": SteadyEngine(settings)}) as running:
        # Whatever a server does once, on its first requests (lazy imports, the upload decoder's
        # forkserver starting beside them), is paid here, not inside the burst the test times.
        with httpx.Client(base_url=running.url, timeout=60) as client:
            for i in range(3):
                body = {"model": "steady", "voice": "null", "input": f"Warm {i}.", "response_format": "pcm"}
                assert client.post("/v1/audio/speech", json=body).status_code == 200
        yield running


# The burst comes from another process: sixteen client threads beside the server's event loop
# would take turns with it on one GIL, and delay it more than any prediction allows for.
BURST = """
import concurrent.futures, json, sys, time
import httpx

url, timeout, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])

def call(i):
    body = {"model": "steady", "voice": "null", "input": f"Request {i}.", "timeout": timeout,
            "response_format": "pcm"}
    t0 = time.perf_counter()
    r = client.post("/v1/audio/speech", json=body)
    code = r.json()["error"]["code"] if r.status_code != 200 else ""
    return r.status_code, time.perf_counter() - t0, code

with httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_connections=n)) as client:
    client.get("/health/live")
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        print(json.dumps(list(pool.map(call, range(n)))))
"""


def burst(url: str, timeout: float, n: int) -> list[tuple[int, float, str]]:
    done = subprocess.run(
        [sys.executable, "-c", BURST, url, str(timeout), str(n)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [(int(a), float(b), str(c)) for a, b, c in json.loads(done.stdout)]


def test_overload_is_refused_early_and_accepted_work_meets_its_deadline(server: RunningServer) -> None:
    # Room for about ten segments of 0.5 s, and a fifth of it (1.2 s) left as headroom: a slow CI
    # machine has been seen to stall for most of a second, which a 3 s deadline would not absorb.
    timeout = 6.0
    results = burst(server.url, timeout, 24)  # ~12 s of work offered at once for a 6 s deadline
    accepted = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] == 429]
    assert len(accepted) + len(refused) == len(results), results  # no 504, no 503
    assert accepted and refused
    # The server enforces each deadline (a miss would be a 504); the slack is the client's own.
    assert all(seconds <= timeout + 1.0 for _, seconds, _ in accepted)
    # Refused by the prediction, never by queueing until the deadline passed. How fast a refusal
    # is (the 50 ms target) is measured out of process by benchmarks/overload.py: here client
    # and server share one process and its GIL, on a machine that may be busy with other tests.
    assert all(code == "predicted_deadline_miss" for _, _, code in refused)
    assert max(seconds for _, seconds, _ in refused) < timeout


def test_an_idle_server_admits_a_long_request_with_a_generous_deadline(server: RunningServer) -> None:
    body = {"model": "steady", "voice": "null", "input": "One. Two. Three. Four.", "timeout": 10}
    assert httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30).status_code == 200


def test_a_request_that_cannot_fit_its_own_deadline_is_refused_even_when_idle(server: RunningServer) -> None:
    body = {"model": "steady", "voice": "null", "input": "One. Two. Three. Four. Five. Six.", "timeout": 0.5}
    r = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30)
    # Not 429: no amount of waiting makes six 0.5 s segments fit 0.5 s, and clients retry a 429.
    assert r.status_code == 413
    assert "retry-after" not in r.headers
    error = r.json()["error"]
    assert (error["code"], error["param"], error["type"]) == (
        "input_exceeds_deadline",
        "input",
        "invalid_request_error",
    )
    assert "with nothing else queued" in error["message"] and "raise 'timeout'" in error["message"]
    # The same text with room for it is served.
    body["timeout"] = 10
    assert httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30).status_code == 200


def test_a_stream_is_admitted_by_its_first_audio_and_timed_piece_by_piece(server: RunningServer) -> None:
    # Six 0.5 s segments: 3 s of work, past a 2 s deadline as a whole reply, where a stream
    # needs its first audio within it and then each next piece.
    text = "Seven. Eight. Nine. Ten. Eleven. Twelve."  # not in the audio cache from another test
    body = {"model": "steady", "voice": "null", "input": text, "timeout": 2, "response_format": "pcm"}
    whole = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30)
    assert whole.status_code == 413, whole.text
    with httpx.stream(
        "POST", f"{server.url}/v1/audio/speech", json={**body, "stream": True}, timeout=30
    ) as r:
        assert r.status_code == 200
        streamed = r.read()
    again = {**body, "timeout": 30, "cache": False}  # made afresh, not the stream's stored copy
    expected = httpx.post(f"{server.url}/v1/audio/speech", json=again, timeout=60)
    assert expected.status_code == 200
    assert len(streamed) == len(expected.content) > 0  # every segment, none cut off


def test_a_long_reply_still_to_queue_counts_against_requests_after_it(server: RunningServer) -> None:
    """A request keeps only a few segments in the queue at once; the rest keep its place in
    line and will run before anything admitted after it. Counted as ahead, they make a later
    request with a short deadline a 429 at once, not a 504 once its deadline has passed."""
    url = f"{server.url}/v1/audio/speech"
    long_text = " ".join(f"Part {word} of the reply." for word in "abcdefghijkl")  # 12 segments, 6 s
    long_body = {"model": "steady", "voice": "null", "input": long_text, "timeout": 30, "cache": False}
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        reply = pool.submit(httpx.post, url, json={**long_body, "response_format": "pcm"}, timeout=60)
        time.sleep(1.0)  # its first segments have run; four are queued and six more to come
        # About 4.5 s of work ahead of this one: the queue alone (2 s) would admit it for 4 s.
        short = {"model": "steady", "voice": "null", "input": "Just now.", "timeout": 4, "cache": False}
        r = httpx.post(url, json=short, timeout=30)
        assert r.status_code == 429, r.text
        assert r.json()["error"]["code"] == "predicted_deadline_miss"
        assert reply.result().status_code == 200
    # Once the reply is done, nothing is held for it: the same request is admitted and served.
    assert httpx.post(url, json=short, timeout=30).status_code == 200


class OverheadEngine(NullEngine):
    """Like Kokoro, mostly a cost per segment: a sentence takes 0.2 s and 1 ms a character."""

    name: ClassVar[str] = "overhead"

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        time.sleep(sum(0.2 + 0.001 * len(s.text) for s in batch))
        return super().synthesize(batch)


def test_a_fresh_server_does_not_refuse_for_good_what_its_warm_up_cannot_price() -> None:
    """Its only figure is warm-up's one short sentence, "Hello there.": extrapolated by its
    characters, four sentences of 150 took 18x longer than they do, and a request that fits its
    deadline got a 413 telling the client to send less."""
    settings = Settings(
        engines=["overhead"],
        default_engine="overhead",
        engine_options={"overhead": EngineOptions(workers=1)},
    )
    sentence = "This sentence is one of four that are each about a hundred and fifty characters long"
    text = " ".join(f"{sentence}, number {n} of them, and long enough to be a segment." for n in range(4))
    with serve(settings, {"overhead": OverheadEngine(settings)}) as running:
        body = {"model": "overhead", "voice": "null", "input": text, "timeout": 4, "response_format": "pcm"}
        t0 = time.monotonic()
        r = httpx.post(f"{running.url}/v1/audio/speech", json=body, timeout=30)
        assert r.status_code == 200, r.text  # about 1.4 s of work for a 4 s deadline
        assert time.monotonic() - t0 < 4
        # What the first request measured separates the costs: a text past any deadline is
        # still refused at once.
        body["input"] = " ".join([text] * 5)
        r = httpx.post(f"{running.url}/v1/audio/speech", json=body, timeout=30)
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "input_exceeds_deadline"
