"""POST /v1/text/normalize and GET /v1/text/lexicon on a real server, and `clarion normalize`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
def server(lexicon_file: Path, kokoro_models_dir: Path) -> Iterator[RunningServer]:
    settings = Settings(
        engines=["hibari", "kokoro"],
        models_dir=kokoro_models_dir,
        lexicon_path=lexicon_file,
        request_timeout_s=600,  # admission must not refuse a Mandarin sentence on a loaded CI machine
    )
    with serve(settings) as running:
        yield running


MIXED = "体重65kg，气温-3.5°C，价格¥100元，3kg"
READ = "体重六十五公斤，气温零下三点五摄氏度，价格一百元，三公斤"


def normalize(server: RunningServer, **body: str) -> dict[str, Any]:
    r = httpx.post(f"{server.url}/v1/text/normalize", json=body, timeout=30)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_a_mandarin_voice_reads_numbers_symbols_and_units_in_mandarin(server: RunningServer) -> None:
    for body in ({"voice": "zf_xiaoxiao"}, {"language": "zh"}, {"model": "kokoro", "voice": "zf_xiaoxiao"}):
        out = normalize(server, input=MIXED, **body)
        assert out["normalized"] == READ, body
        assert out["language"] == "zh"
        assert [s["language"] for s in out["segments"]] == ["zh"]
        assert {"zh.unit", "zh.temperature", "zh.currency"} <= set(out["rules"])
    # No Han character at all: the voice's language still decides...
    for text, read in [("3kg", "三公斤"), ("2%", "百分之二"), ("2024-06-15", "二零二四年六月十五日")]:
        assert normalize(server, input=text, voice="zf_xiaoxiao")["normalized"] == read
    # ...but inside an English sentence, numbers are read as the English around them.
    assert (
        normalize(server, input="I ran 5 km.", voice="zf_xiaoxiao")["normalized"] == "I ran five kilometers."
    )
    # ...even after a Chinese sentence: a bilingual reply reads each sentence in its own language.
    reply = normalize(server, input="我跑了5公里。Then I rested for 10 minutes.", voice="zf_xiaoxiao")
    assert reply["normalized"] == "我跑了五公里。Then I rested for ten minutes."
    # An equation in one-letter variables is read whole, its letters by name.
    maths = normalize(server, input="方程x²+y²=1表示圆，f(x)=2x+1。", voice="zf_xiaoxiao")
    assert maths["normalized"] == "方程X的平方加Y的平方等于一表示圆，F(X)等于二X加一。"
    english = normalize(server, input="3kg, 2%", voice="af_heart")
    assert english["normalized"] == "three kilograms, two percent"
    assert english["language"] == "en"
    # An explicit language overrides the voice's; an OpenAI alias resolves like a speech request.
    assert normalize(server, input="3kg", voice="af_heart", language="zh")["normalized"] == "三公斤"
    assert normalize(server, input="3kg", voice="alloy")["language"] == "en"


def test_normalize_with_an_unknown_voice_says_which_exist(server: RunningServer) -> None:
    r = httpx.post(f"{server.url}/v1/text/normalize", json={"input": "3kg", "voice": "nobody"})
    assert r.status_code == 400, r.text  # as /v1/audio/speech answers it
    assert "zf_xiaoxiao" in r.json()["error"]["message"]
    r = httpx.post(f"{server.url}/v1/text/normalize", json={"input": "3kg", "language": "fr"})
    assert r.status_code == 400, r.text


def test_speech_to_a_mandarin_voice_reads_what_normalize_shows(server: RunningServer) -> None:
    """The raw text and its Mandarin reading give the same audio: the synthesised segments
    are the ones the route shows (Kokoro is deterministic for the same segment)."""

    def speak(text: str) -> httpx.Response:
        body = {"model": "kokoro", "voice": "zf_xiaoxiao", "input": text, "response_format": "pcm"}
        r = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=120)
        assert r.status_code == 200, r.text
        return r

    spelled = speak(READ)
    raw = speak(MIXED)
    assert raw.headers["x-clarion-cache"] == spelled.headers["x-clarion-cache"] == "miss"
    assert raw.headers["x-clarion-audio-seconds"] == spelled.headers["x-clarion-audio-seconds"]
    assert raw.content == spelled.content
    assert normalize(server, input=MIXED, voice="zf_xiaoxiao")["normalized"] == READ


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


def test_cli_normalize_reads_in_the_voice_or_language_given(kokoro_models_dir: Path) -> None:
    def run(*args: str) -> dict[str, Any]:
        r = subprocess.run(
            [sys.executable, "-m", "clarion.cli", "normalize", "--json", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "CLARION_MODELS_DIR": str(kokoro_models_dir)},
        )
        assert r.returncode == 0, r.stderr
        out: dict[str, Any] = json.loads(r.stdout)
        return out

    assert run("--voice", "zf_xiaoxiao", "3kg")["normalized"] == "三公斤"
    assert run("--voice", "af_heart", "3kg")["normalized"] == "three kilograms"
    assert run("--language", "zh", "2%")["normalized"] == "百分之二"
    bad = subprocess.run(
        [sys.executable, "-m", "clarion.cli", "normalize", "--voice", "nobody", "3kg"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CLARION_MODELS_DIR": str(kokoro_models_dir)},
    )
    assert bad.returncode == 2 and "nobody" in bad.stderr
