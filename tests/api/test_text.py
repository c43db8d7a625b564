"""POST /v1/text/normalize and GET /v1/text/lexicon on a real server, and `clarion normalize`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clarion.config import Settings
from tests.server import RunningServer, serve


@pytest.fixture(scope="module")
def lexicon_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lex") / "lexicon.yaml"
    path.write_text("zh:\n  AI: 人工智能\nen:\n  SQL: sequel\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(lexicon_file: Path) -> Iterator[RunningServer]:
    with serve(Settings(engines=["hibari"], lexicon_path=lexicon_file)) as running:
        yield running


def test_normalize_returns_text_segments_and_rules(server: RunningServer) -> None:
    r = httpx.post(
        f"{server.url}/v1/text/normalize", json={"input": "Learn SQL for $20. 我们用AI，花了50%的时间。"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert "sequel" in body["normalized"] and "twenty dollars" in body["normalized"]
    assert "人工智能" in body["normalized"] and "百分之五十" in body["normalized"]
    assert [s["language"] for s in body["segments"]] == ["en", "zh"]
    assert {"lexicon", "en.currency"} <= set(body["rules"])
    assert "".join(s["text"] for s in body["spans"]) == body["normalized"]


def test_normalize_validates_its_input(server: RunningServer) -> None:
    assert httpx.post(f"{server.url}/v1/text/normalize", json={"input": ""}).status_code == 400
    r = httpx.post(f"{server.url}/v1/text/normalize", json={"input": "x", "model": "nope"})
    assert r.status_code == 404
    assert "hibari" in r.json()["error"]["message"]


def test_lexicon_route_shows_the_entries(server: RunningServer, lexicon_file: Path) -> None:
    body = httpx.get(f"{server.url}/v1/text/lexicon").json()
    assert body["path"] == str(lexicon_file)
    assert body["entries"] == {"zh": {"AI": "人工智能"}, "en": {"SQL": "sequel"}}


def test_speech_reads_the_normalised_text(server: RunningServer) -> None:
    # "$500" must be read as "five hundred dollars": longer than the bare word "dollars".
    def seconds(text: str) -> float:
        body = {"model": "hibari", "voice": "heart", "input": text, "response_format": "pcm"}
        r = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=60)
        assert r.status_code == 200
        return float(r.headers["x-clarion-audio-seconds"])

    assert seconds("It costs $500.") > seconds("It costs dollars.") + 0.3


def test_cli_normalize_prints_json(lexicon_file: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "clarion.cli", "normalize", "--json", "第3名用AI赢了¥100"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CLARION_LEXICON_PATH": str(lexicon_file)},
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["normalized"].startswith("第三名用人工智能赢了")
    assert "一百" in out["normalized"]
    assert out["segments"][0]["language"] == "zh"
