"""Debian's real Prometheus scrapes a running Clarion on loopback, and a metric is read
back through Prometheus's own HTTP API."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clarion.config import Settings
from tests.server import RunningServer, serve

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None, reason="Debian's prometheus is not installed (scripts/test.sh installs it as root)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(Settings(engines=["hibari"])) as running:
        yield running


@pytest.fixture
def prometheus(server: RunningServer, tmp_path: Path) -> Iterator[str]:
    target = server.url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n"
        f"  - job_name: clarion\n    static_configs:\n      - targets: ['{target}']\n",
        encoding="utf-8",
    )
    port = free_port()
    assert PROMETHEUS is not None
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)


def test_prometheus_scrapes_clarion(server: RunningServer, prometheus: str) -> None:
    body = {"model": "hibari", "voice": "heart", "input": "Scrape me.", "response_format": "wav"}
    assert httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=60).status_code == 200
    query = 'clarion_audio_seconds_total{engine="hibari",voice="heart"}'
    deadline = time.monotonic() + 60
    result: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"{prometheus}/api/v1/query", params={"query": query}, timeout=5)
            result = r.json()["data"]["result"] if r.status_code == 200 else []
        except httpx.TransportError:
            result = []  # Prometheus still starting
        if result:
            break
        time.sleep(0.5)
    assert result, "Prometheus never returned the metric"
    assert float(result[0]["value"][1]) > 0.3  # type: ignore[index]
    # Scraped and found up. Not only the latest scrape: with a 1 s interval, Prometheus gives a
    # scrape 1 s, which a machine busy with other suites can exceed now and then.
    params = {"query": 'max_over_time(up{job="clarion"}[5m])'}
    up = httpx.get(f"{prometheus}/api/v1/query", params=params).json()["data"]["result"]
    assert up[0]["value"][1] == "1"
