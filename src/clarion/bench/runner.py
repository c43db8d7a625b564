"""Drive a target through each load level and summarise what every request saw."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from clarion import __version__
from clarion.bench.client import AudioMeter, Reply, Target, send
from clarion.bench.errors import BenchError
from clarion.bench.schedule import ClosedLoop, Level, OpenLoop, poisson_arrivals
from clarion.bench.scrape import Sampler, scrape, server_summary
from clarion.bench.stats import summarize
from clarion.bench.ws import WsTarget, send_ws

FAILED_PAUSE_S = 0.01  # a closed-loop user pauses after a failure, so a dead server is not spun on


@dataclass
class BenchConfig:
    target: Target
    texts: list[str]
    levels: list[Level]
    duration_s: float
    text_set: str = "builtin"
    lang: str = "en"
    timeout_s: float = 120.0
    seed: int = 0
    warmup: bool = True
    metrics: bool = True
    metrics_every_s: float = 1.0
    progress: bool = True

    def __post_init__(self) -> None:
        if not self.texts:
            raise BenchError("no texts to send")
        if not self.levels:
            raise BenchError("no load levels: give --concurrency or --rate")
        if self.duration_s <= 0:
            raise BenchError("duration must be positive")


@dataclass
class LevelRun:
    level: Level
    replies: list[Reply] = field(default_factory=list)
    elapsed_s: float = 0.0
    offered: int = 0  # open loop: arrivals scheduled
    planned_s: float = 0.0  # the level's --duration; elapsed_s adds the drain of requests in flight
    server: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        ok = [r for r in self.replies if r.ok]
        errors = Counter(r.error for r in self.replies if r.error is not None)
        elapsed = self.elapsed_s or float("nan")
        audio = sum(r.audio_s for r in ok)
        measured = [r for r in ok if r.underruns is not None]
        level = self.level
        out: dict[str, Any] = {
            "level": level.label,
            "mode": "closed" if isinstance(level, ClosedLoop) else "open",
            "concurrency": level.concurrency if isinstance(level, ClosedLoop) else None,
            "rate": level.rate if isinstance(level, OpenLoop) else None,
            "max_in_flight": level.max_in_flight if isinstance(level, OpenLoop) else None,
            "offered_per_s": self.offered / self.planned_s if isinstance(level, OpenLoop) else None,
            "duration_s": self.elapsed_s,
            "requests": len(self.replies),
            "ok": len(ok),
            "errors": dict(sorted(errors.items())),
            "audio_s": audio,
            "requests_per_s": len(ok) / elapsed,
            "audio_s_per_s": audio / elapsed,
            "chars_per_s": sum(r.chars for r in ok) / elapsed,
            "ttfa_s": summarize(r.ttfa_s for r in ok if r.ttfa_s is not None),
            "latency_s": summarize(r.latency_s for r in ok),
            "rtf": summarize(r.latency_s / r.audio_s for r in ok if r.audio_s > 0),
            "playback": None,
            "server": self.server,
        }
        ttfa, latency = out["ttfa_s"].get("p50"), out["latency_s"].get("p50")
        # How much of the wait is for the first sound: near 1, streaming gains a listener nothing.
        out["ttfa_share_p50"] = ttfa / latency if ttfa is not None and latency else None
        sentence = [r.ttfa_sentence_s for r in ok if r.ttfa_sentence_s is not None]
        if sentence:  # --ws: from the end of the first sentence; negative if audio came sooner
            out["ttfa_sentence_s"] = summarize(sentence)
        if measured:
            out["playback"] = {
                "measured": len(measured),
                "underruns": sum(r.underruns or 0 for r in measured),
                "requests_with_underrun": sum(1 for r in measured if r.underruns),
                "stall_s": sum(r.stall_s or 0.0 for r in measured),
                "max_stall_s": max(r.max_stall_s or 0.0 for r in measured),
            }
        return out


@dataclass
class BenchReport:
    started_at: str
    config: dict[str, Any]
    levels: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        head = {"tool": "clarion bench", "version": __version__, "started_at": self.started_at}
        return {**head, **self.config, "levels": self.levels}


class _Progress:
    """A bar per level on stderr: time through the level, then the drain of requests in flight."""

    def __init__(self, enabled: bool, console: Console | None) -> None:
        self._progress = (
            Progress(
                TextColumn("{task.description:>10}"),
                BarColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}"),
                console=console or Console(stderr=True),
                transient=False,
            )
            if enabled
            else None
        )

    def __enter__(self) -> _Progress:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress:
            self._progress.stop()

    @contextlib.asynccontextmanager
    async def level(self, run: LevelRun, origin: float, duration: float) -> Any:
        if self._progress is None:
            yield
            return
        progress = self._progress
        task: TaskID = progress.add_task(run.level.label, total=duration, status="")

        async def tick() -> None:
            while True:
                done = min(duration, time.perf_counter() - origin)
                failed = sum(1 for r in run.replies if not r.ok)
                status = f"ok {len(run.replies) - failed}  errors {failed}"
                if done >= duration:
                    status += "  (finishing requests in flight)"
                progress.update(task, completed=done, status=status)
                await asyncio.sleep(0.2)

        ticker = asyncio.create_task(tick())
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            failed = sum(1 for r in run.replies if not r.ok)
            progress.update(
                task, completed=duration, status=f"ok {len(run.replies) - failed}  errors {failed}"
            )


async def _warm_up(client: httpx.AsyncClient, target: Target, text: str) -> None:
    """One request before measuring: loads lazy state on the server, and turns a wrong URL,
    model or voice into one clear error instead of a table full of failures."""
    if isinstance(target, WsTarget):
        now = time.perf_counter()
        reply = await send_ws(client, target, text, now, now)
        if not reply.ok:
            raise BenchError(f"the warm-up stream failed: {reply.error}")
        return
    try:
        r = await client.send(target.build(client, text))
    except httpx.HTTPError as e:
        raise BenchError(f"the warm-up request failed: {type(e).__name__}: {e}") from e
    if r.status_code != 200:
        raise BenchError(f"the warm-up request got HTTP {r.status_code}: {r.text[:500]}")
    meter = AudioMeter(target.fmt, target.pcm_rate)
    try:
        meter.feed(r.content)
        seconds = meter.finish()
    except ValueError as e:
        raise BenchError(f"the warm-up response is not {target.fmt} audio: {e}") from e
    if seconds <= 0:
        raise BenchError("the warm-up response held no audio")


async def _send(
    client: httpx.AsyncClient, target: Target, text: str, scheduled: float, origin: float
) -> Reply:
    if isinstance(target, WsTarget):
        return await send_ws(client, target, text, scheduled, origin)
    return await send(client, target, text, scheduled, origin)


async def _closed(
    client: httpx.AsyncClient,
    target: Target,
    texts: Iterator[str],
    level: ClosedLoop,
    run: LevelRun,
    origin: float,
    duration: float,
) -> None:
    stop = origin + duration

    async def user() -> None:
        while time.perf_counter() < stop:
            reply = await _send(client, target, next(texts), time.perf_counter(), origin)
            run.replies.append(reply)
            if not reply.ok:
                await asyncio.sleep(FAILED_PAUSE_S)

    await asyncio.gather(*(user() for _ in range(level.concurrency)))


async def _open(
    client: httpx.AsyncClient,
    target: Target,
    texts: Iterator[str],
    level: OpenLoop,
    run: LevelRun,
    origin: float,
    duration: float,
    seed: int,
) -> None:
    arrivals = poisson_arrivals(level.rate, duration, seed)
    run.offered = len(arrivals)
    slots = asyncio.Semaphore(level.max_in_flight)

    async def one(due: float, text: str) -> None:
        # Latency counts from ``due`` even when the request waited here for a slot.
        async with slots:
            run.replies.append(await _send(client, target, text, due, origin))

    tasks: list[asyncio.Task[None]] = []
    for offset in arrivals:
        due = origin + float(offset)
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, next(texts))))
    await asyncio.gather(*tasks)


async def run_bench(config: BenchConfig, console: Console | None = None) -> BenchReport:
    target = config.target
    most = max(lv.concurrency if isinstance(lv, ClosedLoop) else lv.max_in_flight for lv in config.levels)
    limits = httpx.Limits(max_connections=most + 2, max_keepalive_connections=most + 2)
    timeout = httpx.Timeout(config.timeout_s, connect=min(config.timeout_s, 30.0))
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    levels: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        await target.prepare(client)
        if config.warmup:
            await _warm_up(client, target, config.texts[0])
        url = str(target.describe()["url"])
        with _Progress(config.progress, console) as bars:
            for index, level in enumerate(config.levels):
                texts = itertools.cycle(config.texts)  # every level sends the same sequence
                run = LevelRun(level, planned_s=config.duration_s)
                before = await scrape(client, url, target.headers()) if config.metrics else None
                sampler = Sampler(client, url, target.headers(), config.metrics_every_s)
                if before is not None:
                    sampler.start()
                origin = time.perf_counter()
                try:
                    async with bars.level(run, origin, config.duration_s):
                        if isinstance(level, ClosedLoop):
                            await _closed(client, target, texts, level, run, origin, config.duration_s)
                        else:
                            seed = config.seed + index
                            await _open(client, target, texts, level, run, origin, config.duration_s, seed)
                finally:
                    run.elapsed_s = time.perf_counter() - origin
                    await sampler.stop()
                after = await scrape(client, url, target.headers()) if before is not None else None
                run.server = server_summary(before, after, sampler)
                levels.append(run.summary())
    described = {
        "target": target.describe(),
        "texts": {"set": config.text_set, "lang": config.lang, "count": len(config.texts)},
        "duration_s": config.duration_s,
        "seed": config.seed,
        "timeout_s": config.timeout_s,
    }
    return BenchReport(started, described, levels)
