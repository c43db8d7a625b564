"""`clarion optimize`: make variants of an engine's ONNX graphs, measure each on this
machine against the reference, and enable the fastest one that keeps quality, or none.

Reference: the fp32 graph where the engine ships one (its audio is the quality yardstick),
else the shipped graph. Speed is compared with what runs now (the shipped graph). A
variant is enabled only when it is at least ``optimize_min_speedup`` times faster, its
mel-cepstral distortion from the reference is at most ``optimize_max_mcd_db``, and its
round-trip word error rate is at most ``optimize_max_wer_increase`` above the reference's.

Engines with several graphs (ChatTTS: decoder and vocoder) get each variant for all of them at
once, and it is measured and enabled as one. Engines that run PyTorch as installed and export
their graphs from it (``onnx_exported``, ChatTTS) are judged against that PyTorch path: it is
both the speed and the quality reference. WER only judges when the ASR understands the
reference itself (WER at most ``MAX_REFERENCE_WER``); otherwise (random test weights, a
language the English ASR does not know) the gate goes by MCD alone and the report says so.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clarion.config import EngineOptions, Settings
from clarion.engines.base import CalibratesOnnx, exports_onnx
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
# Above this, the ASR does not understand the reference itself: WER says nothing about variants.
MAX_REFERENCE_WER = 0.5


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
    notes: list[str] = field(default_factory=list)

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
    extra_variants: dict[str, Path | dict[str, Path]] | None = None,
) -> Report:
    """``extra_variants``: more ready-made graphs to judge, e.g. in tests: name -> file for an
    engine with one graph, name -> {graph: file} for any engine."""
    cls = engine_class(engine, settings)
    onnx = exports_onnx(cls)
    if onnx is None:
        raise EngineUnavailable(f"engine {engine!r} has no ONNX graphs to optimise")
    graphs = onnx.onnx_graphs(settings)
    if not graphs:
        raise EngineUnavailable(f"engine {engine!r} has no ONNX graphs to optimise")
    exported = onnx.onnx_exported
    out = settings.optimized_root / engine
    out.mkdir(parents=True, exist_ok=True)
    precisions = {name: variants.precision(path) for name, path in graphs.items()}
    shipped_precision = "pytorch" if exported else "+".join(sorted(set(precisions.values())))

    feeds_cache: list[variants.Feeds | Mapping[str, variants.Feeds]] = []

    def calibration_for(graph: str) -> Callable[[], variants.Feeds] | None:
        if not issubclass(cls, CalibratesOnnx):
            return None

        def calibration() -> variants.Feeds:
            if not feeds_cache:  # one run of the engine serves every graph
                eng = create_engine(engine, _forced(settings, engine, "shipped"))
                assert isinstance(eng, CalibratesOnnx)
                eng.load("cpu", threads)
                try:
                    feeds_cache.append(eng.calibration_feeds(texts))
                finally:
                    eng.unload()
            feeds = feeds_cache[0]
            return feeds[graph] if isinstance(feeds, Mapping) else feeds

        return calibration

    made: list[_Made] = []
    by_graph: dict[str, list[variants.Made]] = {}
    for graph, path in graphs.items():
        progress(f"making variants of {path.name} ({precisions[graph]})")
        by_graph[graph] = variants.make(path, graph, out, targets, calibration_for(graph))
    for i, first in enumerate(next(iter(by_graph.values()))):
        # A variant covers every graph of the engine, or it is not made.
        per_graph = {graph: ms[i] for graph, ms in by_graph.items()}
        missing = {graph: m.reason for graph, m in per_graph.items() if m.path is None}
        if not missing:
            made.append(_Made(first.variant, [m.path for m in per_graph.values() if m.path is not None]))
        elif len(graphs) == 1 or (len(missing) == len(graphs) and len(set(missing.values())) == 1):
            made.append(_Made(first.variant, None, next(iter(missing.values()))))
        else:
            made.append(_Made(first.variant, None, "; ".join(f"{g}: {r}" for g, r in missing.items())))
    for name, given in (extra_variants or {}).items():
        files = given if isinstance(given, dict) else dict.fromkeys(graphs, given)
        if set(files) != set(graphs) or (not isinstance(given, dict) and len(graphs) != 1):
            raise ValueError(f"extra variant {name!r} must give a file for each of {', '.join(graphs)}")
        copies = []
        for graph, path in files.items():
            dest = out / name / f"{graph}.onnx"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            copies.append(dest)
        made.append(_Made(name, copies))

    def run(variant: str) -> Measured:
        progress(f"measuring {variant}")
        return measure(engine, settings, variant, texts, repeats, threads)

    current = run("shipped")
    reference_name = "fp32" if shipped_precision == "fp32" and not exported else "shipped"
    results: dict[str, Measured] = {"shipped": current}
    rows: list[Row] = []
    for m in made:
        if m.paths is None:
            rows.append(Row(m.variant, "refused", m.reason))
            continue
        try:
            results[m.variant] = run(m.variant)
        except Exception as e:
            rows.append(Row(m.variant, "failed", str(e)[:300], size_mb=_mb(*m.paths)))
            continue
        rows.append(Row(m.variant, "candidate", size_mb=_mb(*m.paths)))
    if reference_name == "fp32" and "fp32" not in results:
        reference_name = "shipped"
    reference = results[reference_name]
    ref_wer = _wer(reference, texts)
    notes: list[str] = []
    if exported:
        notes.append(
            f"{engine} runs PyTorch as installed: the reference for speed and quality. Variants replace "
            f"only its exported graphs ({', '.join(graphs)}); the rest stays in PyTorch in every row."
        )
    use_wer = ref_wer is not None and ref_wer <= MAX_REFERENCE_WER
    if ref_wer is None:
        notes.append("WER not measured (faster-whisper or its model is missing): the gate uses MCD alone.")
    elif not use_wer:
        notes.append(
            f"The ASR does not understand the reference itself (WER {ref_wer:.2f} > {MAX_REFERENCE_WER:g}; "
            "random test weights, or a language the English ASR does not know), so WER cannot judge "
            "the variants here: the gate uses MCD alone."
        )

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
        row.wer = ref_wer if m is reference else _wer(m, texts) if use_wer else None

    as_installed = f"as installed ({'PyTorch; size: its exported graphs' if exported else shipped_precision})"
    shipped_row = Row("shipped", "current", as_installed, size_mb=_mb(*graphs.values()))
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
            use_wer
            and row.wer is not None
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
    report = Report(engine, shipped_precision, reference_name, selected, [shipped_row, *rows], notes)
    (out / "report.json").write_text(report.to_json(), encoding="utf-8")
    return report


@dataclass(frozen=True, slots=True)
class _Made:
    variant: str
    paths: list[Path] | None  # one file per graph; None: not made
    reason: str = ""


def _forced(settings: Settings, engine: str, variant: str) -> Settings:
    opts = settings.options_for(engine).model_copy(update={"model_variant": variant})
    assert isinstance(opts, EngineOptions)
    return settings.model_copy(update={"engine_options": {**settings.engine_options, engine: opts}})


def _select(out: Path, variant: str | None) -> None:
    path = out / SELECTED_FILE
    if variant is None:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"variant": variant}), encoding="utf-8")
    os.replace(tmp, path)


def _mb(*paths: Path) -> float:
    return round(sum(p.stat().st_size for p in paths) / 1e6, 2)


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
