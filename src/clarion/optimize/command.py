"""`clarion optimize ENGINE` and `clarion export triton ENGINE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clarion.config import Settings
from clarion.errors import ClarionError

err = Console(stderr=True)
export_app = typer.Typer(no_args_is_help=True, help="Export an engine for other serving systems.")


def optimize_command(
    engine: Annotated[
        str, typer.Argument(help="Engine whose ONNX graphs to optimise: piper, kokoro or chattts.")
    ],
    targets: Annotated[str, typer.Option(help="Comma-separated: fp32, fp16, int8.")] = "fp32,fp16,int8",
    path: Annotated[Path | None, typer.Option("--path", help="Models directory (default: settings).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where variants go (default <models_dir>/optimized).")
    ] = None,
    repeats: Annotated[int, typer.Option(min=1, help="Timed passes over the evaluation texts.")] = 2,
    threads: Annotated[int, typer.Option(min=1, help="Intra-op threads while measuring.")] = 1,
) -> None:
    """Make precision variants, measure speed, memory and quality here, and enable the
    fastest one within the quality thresholds (or none). Prints the report."""
    from clarion.optimize.runner import HEADERS, optimize, table
    from clarion.optimize.variants import TARGETS

    wanted = [t.strip() for t in targets.split(",") if t.strip()]
    bad = [t for t in wanted if t not in TARGETS]
    if bad or not wanted:
        raise typer.BadParameter(
            f"unknown targets {bad}; choose from {', '.join(TARGETS)}", param_hint="--targets"
        )
    settings = Settings()
    if path is not None:
        settings = settings.model_copy(update={"models_dir": path})
    if out is not None:
        settings = settings.model_copy(update={"optimized_dir": out})
    try:
        report = optimize(engine, settings, wanted, repeats=repeats, threads=threads, progress=err.print)
    except ClarionError as e:
        err.print(e.message, markup=False)
        raise typer.Exit(1) from e
    grid = Table(title=f"{engine}: shipped {report.shipped_precision}, quality reference: {report.reference}")
    for h in HEADERS:
        grid.add_column(h, overflow="fold")
    for row in table(report):
        grid.add_row(*row)
    Console().print(grid)
    for note in report.notes:
        Console().print(f"note: {note}", markup=False)
    chosen = report.selected or "none (the shipped model stays)"
    Console().print(f"enabled: {chosen}; report in {settings.optimized_root / engine / 'report.json'}")


@export_app.command("triton")
def export_triton_command(
    engine: Annotated[str, typer.Argument(help="Engine to export, e.g. piper.")],
    out: Annotated[Path, typer.Option(help="Model repository directory to write.")],
    instances: Annotated[int, typer.Option(min=1, help="Instances per model (instance_group count).")] = 2,
    gpu: Annotated[bool, typer.Option(help="KIND_GPU instances instead of KIND_CPU.")] = False,
) -> None:
    """Write a Triton model repository (config.pbtxt + ONNX graph per model)."""
    from clarion.optimize.triton import export_triton

    try:
        done = export_triton(engine, Settings(), out, instances=instances, gpu=gpu)
    except ClarionError as e:
        err.print(e.message, markup=False)
        raise typer.Exit(1) from e
    for model in done:
        print(f"{model.directory}: {model.note}")
