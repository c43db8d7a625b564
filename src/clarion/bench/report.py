"""The bench's outputs: a terminal table, JSON, CSV (one row per level) and PNG plots."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import JustifyMethod
from rich.table import Table

from clarion.bench.errors import BenchError


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def _triple(stats: Mapping[str, float | None]) -> str:
    return " / ".join(_ms(stats.get(k)) for k in ("p50", "p95", "p99"))


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(report: Mapping[str, Any], title: str | None = None) -> Table:
    """One row per level. Latencies in milliseconds as p50 / p95 / p99."""
    target = report.get("target", {})
    ws = target.get("kind") == "ws"
    if ws:
        caption = (
            f"Streams over the WebSocket, text as word tokens at {target.get('token_rate', 0):g}/s. "
            "TTFA: time to first audio from the first token, and from the end of the first sentence "
            "(negative: audio before the sentence was complete). Total: first token to the last audio. "
            "Gaps: audio arriving after the audio before it had finished playing (streams with one / "
            "gaps in all), and their seconds in all."
        )
    else:
        caption = (
            "TTFA: time to first audio. TTFA / latency: the share of the wait spent before the first "
            "sound (p50s). RTF: latency / audio duration. Underruns: stalls a listener "
            "playing the audio as it arrived would hear (requests with one / stalls in all)."
        )
    t = Table(title=title or f"clarion bench: {target.get('url', '')}", caption=caption)

    def underruns(lv: Mapping[str, Any]) -> str:
        pb = lv.get("playback")
        return f"{pb['requests_with_underrun']}/{pb['underruns']}" if pb else "-"

    def playback(key: str, fmt: Any) -> Any:
        return lambda lv: fmt(lv["playback"][key]) if lv.get("playback") else "-"

    def server(key: str) -> Any:
        return lambda lv: _num((lv.get("server") or {}).get(key), 0)

    Column = tuple[str, JustifyMethod, Any]
    head: list[Column] = [
        ("level", "left", lambda lv: lv["level"]),
        ("ok/sent", "right", lambda lv: f"{lv['ok']}/{lv['requests']}"),
        ("errors", "left", lambda lv: ", ".join(f"{k}: {v}" for k, v in lv["errors"].items()) or "-"),
        ("streams/s" if ws else "req/s", "right", lambda lv: _num(lv["requests_per_s"])),
        ("audio s/s", "right", lambda lv: _num(lv["audio_s_per_s"])),
    ]
    middle: list[Column] = (
        [
            ("TTFA ms, 1st token\np50/p95/p99", "right", lambda lv: _triple(lv["ttfa_s"])),
            (
                "TTFA ms, 1st sentence\np50/p95/p99",
                "right",
                lambda lv: _triple(lv.get("ttfa_sentence_s", {})),
            ),
            ("total ms\np50/p95/p99", "right", lambda lv: _triple(lv["latency_s"])),
            ("gaps", "right", underruns),
            ("gaps\ns", "right", playback("stall_s", lambda v: _num(v, 3))),
        ]
        if ws
        else [
            ("TTFA ms\np50/p95/p99", "right", lambda lv: _triple(lv["ttfa_s"])),
            ("latency ms\np50/p95/p99", "right", lambda lv: _triple(lv["latency_s"])),
            ("TTFA /\nlatency p50", "right", lambda lv: _num(lv.get("ttfa_share_p50"))),
            ("RTF\np50", "right", lambda lv: _num(lv["rtf"].get("p50"), 3)),
            ("underruns", "right", underruns),
            ("max stall\nms", "right", playback("max_stall_s", _ms)),
        ]
    )
    tail: list[Column] = [
        ("RSS MB\npeak", "right", server("rss_mb_peak")),
        ("queue\npeak", "right", server("queue_depth_peak")),
    ]
    columns = head + middle + tail
    for name, justify, _ in columns:
        t.add_column(name, justify=justify)
    for lv in report["levels"]:
        t.add_row(*(cell(lv) for _, _, cell in columns))
    return t


def write_json(report: Mapping[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def flatten(level: Mapping[str, Any]) -> dict[str, Any]:
    """A level as one flat CSV row: nested fields joined with '_', errors as 'code:count;...'."""
    row: dict[str, Any] = {}
    for key, value in level.items():
        if key == "errors":
            row["errors"] = ";".join(f"{k}:{v}" for k, v in value.items())
        elif isinstance(value, Mapping):
            for sub, inner in value.items():
                row[f"{key}_{sub}"] = inner
        elif value is None and key in ("playback", "server"):
            continue  # absent sections leave their columns empty
        else:
            row[key] = value
    return row


def write_csv(report: Mapping[str, Any], path: Path) -> None:
    rows = [flatten(lv) for lv in report["levels"]]
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def write_plot(reports: Mapping[str, Mapping[str, Any]], path: Path, title: str | None = None) -> None:
    """Latency percentiles (left) and throughput (right) against concurrency or rate, one
    series per named report (e.g. two servers side by side)."""
    try:
        import matplotlib
    except ImportError as e:
        raise BenchError("PNG plots need matplotlib: pip install 'clarion[bench]'") from e
    matplotlib.use("Agg")  # files only; no display here
    import matplotlib.pyplot as plt

    fig, (lat_ax, thr_ax) = plt.subplots(1, 2, figsize=(12, 4.8))
    audio_ax = thr_ax.twinx()  # audio s/s is often 10x requests/s: its own scale
    modes = set()
    ticks: set[float] = set()
    for i, (name, report) in enumerate(reports.items()):
        levels = report["levels"]
        if not levels:
            continue
        mode = levels[0]["mode"]
        modes.add(mode)
        xs = [lv["concurrency"] if mode == "closed" else lv["rate"] for lv in levels]
        ticks.update(xs)
        color = f"C{i}"
        prefix = f"{name} " if len(reports) > 1 else ""
        for q, style in (("p50", "-"), ("p95", "--"), ("p99", ":")):
            ys = [lv["latency_s"][q] for lv in levels]
            lat_ax.plot(xs, ys, style, color=color, marker="o", label=f"{prefix}latency {q}")
        ttfa = [lv["ttfa_s"]["p50"] for lv in levels]
        lat_ax.plot(xs, ttfa, "-.", color=color, marker="x", alpha=0.6, label=f"{prefix}TTFA p50")
        rps = [lv["requests_per_s"] for lv in levels]
        thr_ax.plot(xs, rps, "-", color=color, marker="o", label=f"{prefix}requests/s")
        audio = [lv["audio_s_per_s"] for lv in levels]
        audio_ax.plot(xs, audio, "--", color=color, marker="s", label=f"{prefix}audio s/s")
    xlabel = "concurrency" if modes == {"closed"} else "offered rate (requests/s)"
    for ax, ylabel in ((lat_ax, "seconds"), (thr_ax, "requests per second")):
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(ticks), [f"{x:g}" for x in sorted(ticks)])
        ax.grid(True, which="major", alpha=0.3)
        ax.set_ylim(bottom=0)
    audio_ax.set_ylabel("audio seconds per second")
    audio_ax.set_ylim(bottom=0)
    lat_ax.legend(fontsize="small")
    lines = thr_ax.get_legend_handles_labels()
    more = audio_ax.get_legend_handles_labels()
    thr_ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize="small")
    lat_ax.set_title("latency (solid p50, dashed p95, dotted p99; dash-dot TTFA p50)")
    thr_ax.set_title("throughput")
    fig.suptitle(title or "clarion bench")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
