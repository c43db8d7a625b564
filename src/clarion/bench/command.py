"""The ``clarion bench`` command line (registered on the ``clarion`` app in clarion.cli)."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


class TargetKind(StrEnum):
    openai = "openai"
    piper = "piper"


def bench(
    url: Annotated[str, typer.Option(help="Server base URL.")] = "http://127.0.0.1:8000",
    target: Annotated[
        TargetKind,
        typer.Option(help="openai: POST /v1/audio/speech (Clarion, ...); piper: piper's own HTTP server."),
    ] = TargetKind.openai,
    model: Annotated[str, typer.Option(help="'model' field (an engine name or an OpenAI alias).")] = "tts-1",
    voice: Annotated[
        str | None, typer.Option(help="Voice; default: the server's first voice in --lang, else 'alloy'.")
    ] = None,
    texts: Annotated[
        str, typer.Option(help="builtin (short, medium and long mixed), short, medium, long, or a file.")
    ] = "builtin",
    lang: Annotated[str, typer.Option(help="Language of the built-in texts: en or zh.")] = "en",
    concurrency: Annotated[
        str, typer.Option(help="Closed loop: simulated users per level, comma-separated.")
    ] = "1,4,16,64",
    rate: Annotated[
        str | None,
        typer.Option(help="Open loop instead: Poisson arrivals per second per level, comma-separated."),
    ] = None,
    max_in_flight: Annotated[
        int, typer.Option(min=1, help="Open loop: requests open at once; waiting for a slot counts.")
    ] = 256,
    duration: Annotated[str, typer.Option(help="Per level, e.g. 30s, 2m, 500ms.")] = "30s",
    stream: Annotated[
        bool, typer.Option("--stream", help="Ask for streamed audio ('stream': true).")
    ] = False,
    ws: Annotated[
        bool,
        typer.Option(
            "--ws", help="Drive WS /v1/audio/speech/stream like an LLM: word tokens at --token-rate."
        ),
    ] = False,
    token_rate: Annotated[float, typer.Option(min=0.1, help="--ws: tokens per second.")] = 30.0,
    fmt: Annotated[
        str, typer.Option("--format", help="wav, pcm, mp3, opus, flac or aac (wav/pcm: underrun counts).")
    ] = "wav",
    sample_rate: Annotated[
        int | None, typer.Option(help="Rate of pcm responses; default: asked from the server, else 24000.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="CLARION_BENCH_API_KEY", help="Sent as 'Authorization: Bearer'.")
    ] = None,
    cache: Annotated[
        bool,
        typer.Option(
            help="Let a server with a result cache answer repeated texts from it; by default every "
            "request says 'Cache-Control: no-cache' so each one is synthesised."
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds a request may stall before failing.")
    ] = 120.0,
    seed: Annotated[int, typer.Option(help="Seed of the open-loop arrival times.")] = 0,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the full report as JSON.")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write one CSV row per level.")] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write latency and throughput plots (PNG).")
    ] = None,
    warmup: Annotated[bool, typer.Option(help="Send one unmeasured request first.")] = True,
    metrics: Annotated[
        bool, typer.Option(help="Read the server's /metrics before, during and after.")
    ] = True,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Load-test a TTS server: time to first audio, latency, real-time factor, playback underruns."""
    from clarion.bench import report
    from clarion.bench.client import OpenAITarget, PiperHttpTarget, Target
    from clarion.bench.errors import BenchError
    from clarion.bench.runner import BenchConfig, run_bench
    from clarion.bench.schedule import (
        ClosedLoop,
        Level,
        OpenLoop,
        parse_concurrency,
        parse_duration,
        parse_rates,
    )
    from clarion.bench.texts import load_texts
    from clarion.bench.ws import WsTarget

    out, err = Console(), Console(stderr=True)
    if not out.is_terminal:
        out = Console(width=180)  # a file or pipe gets the whole table, not one squeezed to 80 columns
    try:
        seconds = parse_duration(duration)
        levels: list[Level] = (
            [OpenLoop(r, max_in_flight) for r in parse_rates(rate)]
            if rate
            else [ClosedLoop(c) for c in parse_concurrency(concurrency)]
        )
        chosen: Target
        if target is TargetKind.piper:
            if fmt != "wav":
                raise BenchError("piper's HTTP server answers WAV only: drop --format or use --format wav")
            if stream:
                err.print("[yellow]piper's HTTP server cannot stream; measuring whole responses[/yellow]")
            chosen = PiperHttpTarget(url, voice=voice)
        elif ws:
            chosen = WsTarget(
                url,
                token_rate=token_rate,
                timeout_s=timeout,
                model=model,
                voice=voice,
                api_key=api_key,
                sample_rate=sample_rate,
                lang=lang,
                cache=cache,
            )
        else:
            chosen = OpenAITarget(
                url,
                model=model,
                voice=voice,
                fmt=fmt,
                stream=stream,
                api_key=api_key,
                sample_rate=sample_rate,
                lang=lang,
                cache=cache,
            )
        config = BenchConfig(
            target=chosen,
            texts=load_texts(texts, lang),
            levels=levels,
            duration_s=seconds,
            text_set=texts,
            lang=lang,
            timeout_s=timeout,
            seed=seed,
            warmup=warmup,
            metrics=metrics,
            progress=progress,
        )
        result = asyncio.run(run_bench(config, err)).to_dict()
        out.print(report.table(result))
        if json_out:
            report.write_json(result, json_out)
        if csv_out:
            report.write_csv(result, csv_out)
        if plot:
            described = result["target"]
            title = f"clarion bench: {described['url']} ({described.get('voice')}, {texts} texts)"
            report.write_plot({described["url"]: result}, plot, title)
    except BenchError as e:
        err.print(f"[red]clarion bench: {e}[/red]")
        raise typer.Exit(2) from e
    except OSError as e:
        err.print(f"[red]clarion bench: cannot write output: {e}[/red]")
        raise typer.Exit(2) from e
