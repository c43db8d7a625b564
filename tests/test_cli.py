"""The `clarion` command, run as a real subprocess."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from clarion.audio.decode import decode
from tests.server import serve_process


def clarion(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clarion.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_say_writes_english_wav(tmp_path: Path) -> None:
    out = tmp_path / "hello.wav"
    r = clarion("say", "Hello, this is Clarion speaking.", "-o", str(out), "--model", "hibari")
    assert r.returncode == 0, r.stderr
    samples, rate = decode(out.read_bytes(), "wav")
    assert rate == 24000
    assert 1.0 < len(samples) / rate < 5.0
    assert np.abs(samples).max() > 0.1


@pytest.mark.slow
def test_say_writes_mandarin_mp3_with_dates_read_out(tmp_path: Path, kokoro_models_dir: Path) -> None:
    out = tmp_path / "zh.mp3"
    env = {"CLARION_MODELS_DIR": str(kokoro_models_dir)}
    r = clarion("say", "今天是2024年6月15日", "--voice", "zf_xiaoxiao", "-o", str(out), env=env)
    assert r.returncode == 0, r.stderr
    samples, rate = decode(out.read_bytes(), "mp3")
    # Digits are read as words ("二零二四年六月十五日"), not skipped: well over a second of speech.
    assert len(samples) / rate > 2.0
    assert np.abs(samples).max() > 0.1


def test_say_rejects_unknown_extension(tmp_path: Path) -> None:
    # Wide enough that Rich does not wrap the long temporary path inside its error box.
    r = clarion("say", "Hi.", "-o", str(tmp_path / "x.doc"), env={"COLUMNS": "400"})
    assert r.returncode != 0
    assert "doc" in r.stderr


def test_engines_lists_each_with_status(kokoro_models_dir: Path) -> None:
    r = clarion("engines", env={"CLARION_MODELS_DIR": str(kokoro_models_dir), "COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    for name in ("hibari", "kokoro", "null"):
        assert name in r.stdout


def test_voices_json_shows_licences(kokoro_models_dir: Path) -> None:
    r = clarion("voices", "--json", env={"CLARION_MODELS_DIR": str(kokoro_models_dir)})
    assert r.returncode == 0, r.stderr
    voices = {v["id"]: v for v in json.loads(r.stdout)}
    assert voices["heart"]["licence"] == "Apache-2.0"
    assert voices["zf_xiaoxiao"]["language"].startswith("zh")
    assert all(v["licence"] for v in voices.values())


def test_serve_answers_and_stops_cleanly_on_sigterm() -> None:
    with serve_process("-e", "hibari") as server:
        r = httpx.post(
            f"{server.url}/v1/audio/speech", json={"model": "tts-1", "voice": "heart", "input": "Ready."}
        )
        assert r.status_code == 200
        assert r.headers["content-type"] == "audio/mpeg"
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(60)
        stderr = server.stderr()
    # uvicorn shuts down gracefully, then re-raises the captured SIGTERM so the exit status
    # tells a supervisor why it stopped.
    assert code in (0, -signal.SIGTERM)
    assert "Traceback" not in stderr, stderr


def _live(conn: http.client.HTTPConnection) -> int:
    """One request on the connection's open socket (http.client reconnects only if it has none)."""
    conn.request("GET", "/health/live")
    response = conn.getresponse()
    response.read()
    return response.status


def test_idle_connections_outlive_the_clients_keep_alive() -> None:
    # Clients (httpx and the OpenAI SDK: 5 s; load balancers: 60 s) must be the ones to close
    # an idle connection: one the server closes just as a client reuses it loses a request.
    with serve_process("-e", "null", "--default-engine", "null", env={"CLARION_KEEP_ALIVE_S": "2"}) as short:
        conn = http.client.HTTPConnection(short.url.removeprefix("http://"), timeout=10)
        assert _live(conn) == 200
        time.sleep(3)
        assert conn.sock is not None
        conn.sock.settimeout(1)  # already closed: recv returns at once
        assert conn.sock.recv(1) == b""  # closed by the server after 2 s
        conn.close()
    with serve_process("-e", "null", "--default-engine", "null") as default:
        conn = http.client.HTTPConnection(default.url.removeprefix("http://"), timeout=10)
        assert _live(conn) == 200
        sock = conn.sock
        time.sleep(6)  # past uvicorn's own 5 s
        assert _live(conn) == 200
        assert conn.sock is sock  # the same connection, still open
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_serve_logs_one_json_object_per_line(kokoro_models_dir: Path, isolation: str) -> None:
    # Kokoro's libraries print on their own: jieba's debug lines as plain text, phonemizer's
    # warning on most English sentences. A log shipper parsing each line as JSON must not choke.
    env = {"CLARION_MODELS_DIR": str(kokoro_models_dir), "CLARION_ISOLATION": isolation}
    with serve_process("-e", "kokoro", "--log-level", "info", env=env) as server:
        for voice, text in [
            ("af_heart", "The museum opens at ten. Guided tours of the new gallery start every half hour."),
            ("zf_xiaoxiao", "博物馆十点开门，新展厅每半小时有一次导览。"),
        ]:
            r = httpx.post(
                f"{server.url}/v1/audio/speech",
                json={"model": "kokoro", "voice": voice, "input": text, "response_format": "wav"},
                timeout=120,
            )
            assert r.status_code == 200, r.text
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(60)
        lines = [line for line in server.stderr().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"a log line that is not JSON: {line!r}")
    # The server's own info lines are there; the libraries' debug lines and routine warnings not.
    assert sum(r["logger"] == "clarion.access" and r["status"] == 200 for r in records) == 2
    assert [r for r in records if r["level"] == "debug"] == []
    assert [r for r in records if r["logger"] == "phonemizer"] == []
