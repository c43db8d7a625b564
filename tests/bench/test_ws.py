"""`clarion bench --ws` against a real Clarion on loopback: text as LLM tokens over
WS /v1/audio/speech/stream, first audio from the first token and from the first sentence,
and gaps in playback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from clarion.bench.report import table
from clarion.bench.ws import first_sentence_end, tokens
from tests.bench.conftest import SLOW_SEGMENT_S, bench, bench_json
from tests.server import RunningServer


def test_tokens_join_back_into_the_text() -> None:
    text = "Hello, world. How are you?  "
    parts = tokens(text)
    assert parts == ["Hello,", " world.", " How", " are", " you?  "]
    assert "".join(parts) == text and first_sentence_end(parts) == 1
    zh = tokens("你好。世界")
    assert zh == ["你", "好", "。", "世", "界"] and first_sentence_end(zh) == 2
    assert first_sentence_end(tokens('He said "no." Then')) == 2
    assert first_sentence_end(["no", " end"]) == 1


def test_ws_streams_at_the_token_rate(server: RunningServer, tmp_path: Path) -> None:
    texts = tmp_path / "texts.txt"
    text = "Thanks for calling, how can I help you today? We are open until six.\n"
    texts.write_text(text, encoding="utf-8")
    target = ["--url", server.url, "--model", "hibari", "--texts", str(texts), "--ws", "--token-rate", "30"]
    r = bench_json(tmp_path, *target, "--concurrency", "1,2", "--duration", "1s")
    assert r["target"]["kind"] == "ws" and r["target"]["token_rate"] == 30 and r["target"]["voice"] == "heart"
    assert [lv["level"] for lv in r["levels"]] == ["c=1", "c=2"]
    for lv in r["levels"]:
        assert lv["ok"] == lv["requests"] >= 1 and lv["errors"] == {}, lv
        # 14 tokens at 30/s take 0.43 s to send: a stream cannot end sooner.
        assert lv["latency_s"]["p50"] >= 13 / 30
        # The first clause ("Thanks for calling,") is spoken before the sentence is written.
        assert 0 < lv["ttfa_s"]["p50"] < lv["latency_s"]["p50"]
        sentence = lv["ttfa_sentence_s"]
        # "today?" is token 8, sent 8/30 s after the first (later if the sender is delayed).
        assert lv["ttfa_s"]["p50"] - 1.0 < sentence["p50"] <= lv["ttfa_s"]["p50"] - 8 / 30 + 0.02
        assert 1 < lv["audio_s"] / lv["ok"] < 10
        assert lv["playback"]["measured"] == lv["ok"] and lv["playback"]["stall_s"] >= 0
        # What the bench counted is what the server says it sent.
        assert lv["server"]["audio_s"] == pytest.approx(lv["audio_s"], abs=0.01 * lv["ok"])


def test_ws_table_and_gaps(server: RunningServer, tmp_path: Path) -> None:
    """The slow engine takes 0.8 s for each 0.14 s sentence: every piece after the first
    arrives after the audio before it has finished, a gap each."""
    texts = tmp_path / "texts.txt"
    texts.write_text("One two three. Four five six. Seven eight nine.\n", encoding="utf-8")
    args = ["--url", server.url, "--model", "slow", "--voice", "null", "--texts", str(texts), "--ws"]
    r = bench_json(tmp_path, *args, "--token-rate", "100", "--concurrency", "1", "--duration", "0.5s")
    (lv,) = r["levels"]
    assert lv["ok"] >= 1 and lv["errors"] == {}
    assert lv["playback"]["underruns"] >= lv["ok"] and lv["playback"]["stall_s"] > 0.3 * lv["ok"]
    assert lv["ttfa_s"]["p50"] >= SLOW_SEGMENT_S
    rendered = table(r)
    assert [c.header for c in rendered.columns][5:8] == [
        "TTFA ms, 1st token\np50/p95/p99",
        "TTFA ms, 1st sentence\np50/p95/p99",
        "total ms\np50/p95/p99",
    ]


def test_ws_refused_voice_is_one_message(server: RunningServer) -> None:
    r: subprocess.CompletedProcess[str] = bench(
        "--url", server.url, "--model", "hibari", "--voice", "nobody", "--ws", "--duration", "1s"
    )
    assert r.returncode == 2 and "warm-up stream failed" in r.stderr, r.stderr + r.stdout
