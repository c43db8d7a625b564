"""`clarion optimize`: make variants of an engine's ONNX graphs, measure each on this
machine against the reference, and enable the fastest one that keeps quality, or none.

Reference: the fp32 graph where the engine ships one (its audio is the quality yardstick),
else the shipped graph. Speed is compared with what runs now (the shipped graph). A
variant is enabled only when it is at least ``optimize_min_speedup`` times faster, its
mel-cepstral distortion from the reference is at most ``optimize_max_mcd_db``, and its
round-trip word error rate is at most ``optimize_max_wer_increase`` above the reference's.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from clarion.config import Settings
from clarion.engines.onnx import SELECTED_FILE
from clarion.engines.registry import create_engine, engine_class
from clarion.errors import EngineUnavailable
from clarion.optimize import variants
from clarion.optimize.measure import Measured, measure
from clarion.optimize.quality import mcd

log = logging.getLogger(__name__)

EVAL_TEXTS = (
    "The quick brown fox jumps over the lazy dog.",
    "Please call me back before five o'clock this afternoon.",
    "Rain is expected tonight, clearing by morning.",
    "Turn left at the next junction, then continue for two miles.",
)


@dataclass
class Row:
    variant: str
    status: str  # reference | current | enabled | refused | failed
    reason: str = ""
    latency_ms: float | None = None
    rtf: float | None = None
    throughput: float | None = None
    size_mb: float | None = None
    peak_mb: float | None = None
    mcd_db: float | None = None
    wer: float | None = None
    speedup: float | None = None


@dataclass
class Report:
    engine: str
    shipped_precision: str
    reference: str
    selected: str | None
    rows: list[Row]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)


def _wer(measured: Measured, texts: Sequence[str]) -> float | None:
    try:
        from clarion.optimize.asr import transcribe, wer
    except ImportError:
        return None
    try:
        scores = [
            wer(t, transcribe(a, measured.sample_rate)) for t, a in zip(texts, measured.audio, strict=True)
        ]
    except ImportError:  # faster-whisper or its model package missing: quality by MCD alone
        return None
    return sum(scores) / len(scores)


def optimize(
    engine: str,
    settings: Settings,
    targets: Sequence[str] = variants.TARGETS,
    *,
    texts: Sequence[str] = EVAL_TEXTS,
    repeats: int = 2,
    threads: int = 1,
    progress: Callable[[str], None] = lambda msg: None,
    extra_variants: dict[str, Path] | None = None,
) -> Report:
    """``extra_variants``: more ready-made graphs to judge (name -> file), e.g. in tests."""
    cls = engine_class(engine, settings)
    graphs_of = getattr(cls, "onnx_graphs", None)
    if graphs_of is None:
        raise EngineUnavailable(f"engine {engine!r} has no ONNX graphs to optimise")
    graphs: dict[str, Path] = graphs_of(settings)
    if len(graphs) != 1:
        raise EngineUnavailable(f"engine {engine!r}: optimising several graphs at once is not supported yet")
    ((graph_name, shipped),) = graphs.items()
    out = settings.optimized_root / engine
    out.mkdir(parents=True, exist_ok=True)
    shipped_precision = variants.precision(shipped)

    calibration = None
    if hasattr(cls, "calibration_feeds"):

        def calibration() -> variants.Feeds:
            eng = create_engine(engine, settings.model_copy(update={"engine_options": {}}))
            eng.load("cpu", threads)
            feeds: variants.Feeds = eng.calibration_feeds(texts)  # type: ignore[attr-defined]
            eng.unload()
            return feeds

    progress(f"making variants of {shipped.name} ({shipped_precision})")
    made = variants.make(shipped, graph_name, out, targets, calibration)
    for name, path in (extra_variants or {}).items():
        dest = out / name / f"{graph_name}.onnx"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        made.append(variants.Made(name, dest))

    def run(variant: str) -> Measured:
        progress(f"measuring {variant}")
        return measure(engine, settings, variant, texts, repeats, threads)

    current = run("shipped")
    reference_name = "fp32" if shipped_precision == "fp32" else "shipped"
    results: dict[str, Measured] = {"shipped": current}
    rows: list[Row] = []
    for m in made:
        if m.path is None:
            rows.append(Row(m.variant, "refused", m.reason))
            continue
        try:
            results[m.variant] = run(m.variant)
        except Exception as e:
            rows.append(Row(m.variant, "failed", str(e)[:300], size_mb=_mb(m.path)))
            continue
        rows.append(Row(m.variant, "candidate", size_mb=_mb(m.path)))
    if reference_name == "fp32" and "fp32" not in results:
        reference_name = "shipped"
    reference = results[reference_name]
    ref_wer = _wer(reference, texts)

    def describe(row: Row, m: Measured) -> None:
        row.latency_ms = round(m.latency_s * 1000, 2)
        row.rtf = round(m.rtf, 4)
        row.throughput = round(m.throughput, 2)
        row.peak_mb = round(m.peak_mb, 1)
        row.speedup = round(current.latency_s / m.latency_s, 3)
        row.mcd_db = round(
            sum(mcd(r, a, m.sample_rate) for r, a in zip(reference.audio, m.audio, strict=True))
            / len(m.audio),
            3,
        )
        row.wer = _wer(m, texts) if m is not reference else ref_wer

    shipped_row = Row("shipped", "current", f"as installed ({shipped_precision})", size_mb=_mb(shipped))
    describe(shipped_row, current)
    best: tuple[float, str] | None = None
    for row in rows:
        if row.status != "candidate":
            continue
        describe(row, results[row.variant])
        problems = []
        assert row.speedup is not None and row.mcd_db is not None
        if row.speedup < settings.optimize_min_speedup:
            problems.append(f"not faster here (x{row.speedup:.2f}, needs x{settings.optimize_min_speedup:g})")
        if row.mcd_db > settings.optimize_max_mcd_db:
            problems.append(f"MCD {row.mcd_db:.2f} dB > {settings.optimize_max_mcd_db:g} dB")
        if (
            row.wer is not None
            and ref_wer is not None
            and row.wer - ref_wer > settings.optimize_max_wer_increase
        ):
            problems.append(f"WER {row.wer:.3f} vs {ref_wer:.3f} for the reference")
        if problems:
            row.status, row.reason = "refused", "; ".join(problems)
        else:
            row.status, row.reason = "passed", "faster and within the quality thresholds"
            if best is None or row.speedup > best[0]:
                best = (row.speedup, row.variant)
    selected = best[1] if best else None
    for row in rows:
        if row.variant == selected:
            row.status = "enabled"
        if (
            row.variant == reference_name
            and row.status in ("passed", "refused")
            and reference_name != "shipped"
        ):
            row.reason = f"reference for quality; {row.reason}"
    _select(out, selected)
    report = Report(engine, shipped_precision, reference_name, selected, [shipped_row, *rows])
    (out / "report.json").write_text(report.to_json(), encoding="utf-8")
    return report


def _select(out: Path, variant: str | None) -> None:
    path = out / SELECTED_FILE
    if variant is None:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"variant": variant}), encoding="utf-8")
    os.replace(tmp, path)


def _mb(path: Path) -> float:
    return round(path.stat().st_size / 1e6, 2)


def table(report: Report) -> list[list[str]]:
    def f(v: Any, fmt: str = "{}") -> str:
        return "-" if v is None else fmt.format(v)

    return [
        [
            r.variant,
            r.status,
            f(r.latency_ms, "{:.1f}"),
            f(r.rtf, "{:.3f}"),
            f(r.throughput, "{:.2f}"),
            f(r.size_mb, "{:.1f}"),
            f(r.peak_mb, "{:.0f}"),
            f(r.mcd_db, "{:.2f}"),
            f(r.wer, "{:.3f}"),
            f(r.speedup, "x{:.2f}"),
            r.reason,
        ]
        for r in report.rows
    ]


HEADERS = ["variant", "status", "ms/seg", "RTF", "seg/s", "MB", "peak MB", "MCD dB", "WER", "speed", "why"]
