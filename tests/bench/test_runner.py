"""`clarion bench` end to end against a real Clarion on loopback: the JSON it writes is
checked against what the server itself counted and against what the engines must produce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clarion.bench.schedule import ClosedLoop
from tests.bench.conftest import SLOW_SEGMENT_S, bench_json, run
from tests.server import RunningServer


@pytest.fixture(scope="module")
def hibari_report(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("hibari")
    target = ["--url", server.url, "--model", "hibari", "--stream"]
    return bench_json(tmp, *target, "--concurrency", "1,2", "--duration", "1.5s")


def test_closed_loop_report_is_sane(hibari_report: dict[str, Any]) -> None:
    r = hibari_report
    assert r["tool"] == "clarion bench"
    assert r["target"]["voice"] == "heart"  # found through /v1/audio/voices
    assert r["target"]["stream"] is True and r["target"]["cache"] is False
    assert [lv["level"] for lv in r["levels"]] == ["c=1", "c=2"]
    for lv in r["levels"]:
        assert lv["mode"] == "closed"
        assert lv["requests"] >= 2 and lv["ok"] == lv["requests"] and lv["errors"] == {}
        assert 1.5 <= lv["duration_s"] < 30  # the level, then the drain of requests in flight
        assert lv["requests_per_s"] == pytest.approx(lv["ok"] / lv["duration_s"], rel=0.01)
        ttfa, latency, rtf = lv["ttfa_s"], lv["latency_s"], lv["rtf"]
        for stats in (ttfa, latency, rtf):
            assert 0 < stats["p50"] <= stats["p95"] <= stats["p99"] <= stats["max"]
        assert ttfa["p50"] <= latency["p50"] and ttfa["max"] <= latency["max"]
        # Every reply is real speech: the built-in texts run from one to ~40 seconds of audio.
        per_request = lv["audio_s"] / lv["ok"]
        assert 0.5 < per_request < 40
        assert 0 < rtf["p50"] < 2  # hibari is faster than real time here, even shared
        assert lv["playback"]["measured"] == lv["ok"]
        server = lv["server"]
        assert server["requests"] == lv["requests"]  # the warm-up is outside the level
        # Audio counted from the response bytes equals what the server says it produced.
        assert server["audio_s"] == pytest.approx(lv["audio_s"], abs=0.002 * lv["ok"])
        assert lv["audio_s_per_s"] == pytest.approx(lv["audio_s"] / lv["duration_s"])
        assert server["rss_mb_peak"] >= server["rss_mb_before"] > 10
        assert server["queue_depth_peak"] >= 0 and server["batch_size_mean"] == 1.0
        assert server["cpu_s"] > 0
        # The texts repeat, but every request asked for fresh synthesis (Cache-Control: no-cache).
        assert not server["cache_hits"]


# Timing: a client delayed by other work reads two sentences in one go and hears one gap fewer.
@pytest.mark.timing
def test_a_slow_stream_is_counted_as_underruns(server: RunningServer) -> None:
    text = "One two three. Four five six. Seven eight nine. Ten eleven."
    r = run(
        server.url, levels=[ClosedLoop(1)], texts=[text], model="slow", voice="null", stream=True, fmt="pcm"
    )
    (lv,) = r["levels"]
    assert r["target"]["pcm_rate"] == 24000  # asked from the server's voice list
    assert lv["ok"] >= 1 and lv["errors"] == {}
    pb = lv["playback"]
    # Four sentences of ~0.14 s audio, each 0.8 s of engine time apart: the three after the
    # first each arrive ~0.66 s after the previous one has finished playing.
    assert pb["requests_with_underrun"] == lv["ok"]
    assert pb["underruns"] == 3 * lv["ok"]
    # Lower bounds only: a busy shared machine can delay the engine's thread, never speed it up.
    assert pb["max_stall_s"] > 0.05, pb
    assert lv["ttfa_s"]["p50"] >= SLOW_SEGMENT_S, lv["ttfa_s"]


def test_a_fast_stream_has_no_underruns(server: RunningServer) -> None:
    r = run(server.url, levels=[ClosedLoop(2)], texts="long", model="null", voice="null", stream=True)
    (lv,) = r["levels"]
    assert lv["ok"] > 2 and lv["playback"]["underruns"] == 0 and lv["playback"]["max_stall_s"] == 0


def test_open_loop_counts_waiting_from_the_schedule(server: RunningServer, tmp_path: Path) -> None:
    """Poisson arrivals at 8/s for one second onto a server that handles one request per
    0.8 s, with one request in flight at a time: arrivals pile up, and each one's latency
    includes its wait, which measuring from the actual send would hide."""
    texts = tmp_path / "texts.txt"
    texts.write_text("One two three.\n", encoding="utf-8")
    target = ["--url", server.url, "--model", "slow", "--voice", "null", "--texts", str(texts)]
    load = ["--rate", "8", "--max-in-flight", "1", "--duration", "1s", "--seed", "0"]
    r = bench_json(tmp_path, *target, *load)
    (lv,) = r["levels"]
    n = lv["requests"]
    assert lv["mode"] == "open" and lv["rate"] == 8 and lv["max_in_flight"] == 1
    assert n == lv["ok"] == round(lv["offered_per_s"] * 1.0) and n >= 4
    # The last arrival (before 1 s) waits for the n - 1 before it: served one by one, it
    # cannot finish before n * 0.8 s, so its latency is at least that minus one second.
    assert lv["latency_s"]["max"] >= n * SLOW_SEGMENT_S - 1.0
    assert lv["duration_s"] >= n * SLOW_SEGMENT_S


def test_compressed_formats_are_decoded_for_their_length(server: RunningServer) -> None:
    r = run(server.url, levels=[ClosedLoop(1)], texts="medium", model="null", voice="null", fmt="mp3")
    (lv,) = r["levels"]
    assert lv["ok"] >= 1 and lv["playback"] is None  # no underrun count for a compressed format
    # Decoded MP3 may differ from the samples encoded by a few ms per reply (frame padding).
    assert lv["audio_s"] == pytest.approx(lv["server"]["audio_s"], abs=0.01 * lv["ok"])


def test_cache_hits_only_when_allowed(server: RunningServer) -> None:
    """Repeating one text: with --cache the server's result cache answers the repeats, by
    default every request is synthesised."""
    common = {"levels": [ClosedLoop(1)], "texts": ["The same words again."], "model": "null", "voice": "null"}
    fresh = run(server.url, duration_s=0.5, **common)["levels"][0]
    cached = run(server.url, duration_s=0.5, cache=True, **common)["levels"][0]
    assert not fresh["server"]["cache_hits"]
    assert cached["server"]["cache_hits"] == cached["ok"] > 0
