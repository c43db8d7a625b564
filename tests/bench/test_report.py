"""Terminal table, JSON, CSV and PNG from a real (short) run against the null engine."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from matplotlib.image import imread
from rich.console import Console

from clarion.bench import report
from clarion.bench.schedule import ClosedLoop
from tests.bench.conftest import run
from tests.server import RunningServer


@pytest.fixture(scope="module")
def result(server: RunningServer) -> dict[str, Any]:
    levels = [ClosedLoop(1), ClosedLoop(2)]
    r = run(server.url, levels=levels, duration_s=1.5, model="null", voice="null", stream=True)
    # The tests below read every section: each level must have answered something.
    assert all(lv["ok"] >= 1 for lv in r["levels"]), r["levels"]
    return r


def test_table(result: dict[str, Any]) -> None:
    console = Console(record=True, width=200)
    console.print(report.table(result))
    text = console.export_text()
    assert "c=1" in text and "c=2" in text and "p50/p95/p99" in text
    ok = result["levels"][0]["ok"]
    assert f"{ok}/{ok}" in text


def test_json_round_trip(result: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    report.write_json(result, path)
    assert json.loads(path.read_text(encoding="utf-8")) == result


def test_csv_has_one_flat_row_per_level(result: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    report.write_csv(result, path)
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["level"] for r in rows] == ["c=1", "c=2"]
    for row, lv in zip(rows, result["levels"], strict=True):
        assert float(row["latency_s_p99"]) == lv["latency_s"]["p99"]
        assert float(row["ttfa_s_p50"]) == lv["ttfa_s"]["p50"]
        assert int(row["playback_underruns"]) == lv["playback"]["underruns"]
        assert float(row["server_rss_mb_peak"]) > 10
        assert row["errors"] == "" and int(row["ok"]) == lv["ok"]


def test_csv_leaves_absent_sections_empty(result: dict[str, Any], tmp_path: Path) -> None:
    """A server without /metrics and a compressed format: no server or playback values, and
    errors written as code:count."""
    bare = dict(result["levels"][0], server=None, playback=None, errors={"503": 2, "ReadTimeout": 1})
    path = tmp_path / "r.csv"
    report.write_csv({"levels": [result["levels"][1], bare]}, path)
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[1]["server_rss_mb_peak"] == "" and rows[1]["playback_underruns"] == ""
    assert rows[1]["errors"] == "503:2;ReadTimeout:1"


def test_plot_is_a_png(result: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "r.png"
    report.write_plot({"a": result, "b": result}, path, "two series")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = imread(str(path)).shape
    assert width > 1000 and height > 400
