"""One real Clarion server on loopback for the bench's end-to-end tests, with three engines:
hibari (real speech), null (free), and slow (the null engine at a fixed cost per sentence
that is longer than the sentence's audio, so a streamed reply must stall)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from clarion.bench.client import OpenAITarget
from clarion.bench.runner import BenchConfig, run_bench
from clarion.bench.schedule import Level
from clarion.bench.texts import load_texts
from clarion.config import EngineOptions, Settings
from clarion.engines.base import Audio, Segment
from clarion.engines.hibari import HibariEngine
from clarion.engines.null import NullEngine
from tests.server import RunningServer, serve

# Engine time per sentence; a 14-character sentence is 0.14 s of audio. The gap it leaves in a
# stream (0.66 s) is wider than the 0.4 s stalls this CI host has been seen to take.
SLOW_SEGMENT_S = 0.8


class SlowEngine(NullEngine):
    name: ClassVar[str] = "slow"

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        time.sleep(SLOW_SEGMENT_S * len(batch))
        return super().synthesize(batch)


@pytest.fixture(scope="package")
def server() -> Iterator[RunningServer]:
    settings = Settings(
        engines=["hibari", "null", "slow"],
        default_engine="hibari",
        engine_options={"slow": EngineOptions(workers=1, max_batch_size=1)},
    )
    engines = {"hibari": HibariEngine(settings), "null": NullEngine(settings), "slow": SlowEngine(settings)}
    with serve(settings, engines) as running:
        yield running


def bench(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`clarion bench` as a real child process (its own interpreter, as a user runs it)."""
    return subprocess.run(
        [sys.executable, "-m", "clarion.cli", "bench", "--no-progress", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )


def bench_json(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "report.json"
    r = bench(*args, "--json", str(out))
    assert r.returncode == 0, r.stderr + r.stdout
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return report


def run(
    url: str,
    *,
    levels: Sequence[Level],
    texts: Sequence[str] | str = "builtin",
    duration_s: float = 1.0,
    **target: Any,
) -> dict[str, Any]:
    """The bench in this process, through its Python API, against an OpenAI-compatible URL."""
    config = BenchConfig(
        target=OpenAITarget(url, **target),
        texts=load_texts(texts) if isinstance(texts, str) else list(texts),
        levels=list(levels),
        duration_s=duration_s,
        progress=False,
    )
    return asyncio.run(run_bench(config)).to_dict()
