"""Measuring one variant in a fresh child process, so peak memory is its own and one
variant's caches do not flatter the next."""

from __future__ import annotations

import multiprocessing as mp
import resource
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from clarion.engines.base import Audio, HasDeterministicExtras, Segment

if TYPE_CHECKING:
    from clarion.config import Settings

_CTX = mp.get_context("spawn")


@dataclass(frozen=True, slots=True)
class Measured:
    variant: str
    audio: list[Audio]  # one per text, from the last repeat
    sample_rate: int
    latency_s: float  # median seconds per segment
    rtf: float  # synthesis seconds per audio second
    throughput: float  # segments per second, one after another
    load_s: float
    peak_mb: float  # peak resident memory of the process that ran it
    notes: list[str] = field(default_factory=list)


def measure(
    engine: str, settings: Settings, variant: str, texts: Sequence[str], repeats: int, threads: int
) -> Measured:
    """Run in a child process; ``variant`` 'shipped' is the model as installed."""
    parent, child = _CTX.Pipe(duplex=False)
    proc = _CTX.Process(target=_child, args=(child, engine, settings, variant, list(texts), repeats, threads))
    proc.start()
    child.close()
    try:
        status, payload = parent.recv()
    except EOFError:
        proc.join(5)
        raise RuntimeError(f"measuring {variant} crashed (exit code {proc.exitcode})") from None
    finally:
        proc.join(30)
    if status != "ok":
        raise RuntimeError(str(payload))
    return Measured(**payload)


def _child(
    conn: Any, engine: str, settings: Settings, variant: str, texts: list[str], repeats: int, threads: int
) -> None:
    try:
        conn.send(("ok", _run(engine, settings, variant, texts, repeats, threads)))
    except Exception as e:
        conn.send(("err", f"{type(e).__name__}: {e}"))


def _run(
    engine: str, settings: Settings, variant: str, texts: list[str], repeats: int, threads: int
) -> dict[str, Any]:
    from clarion.config import EngineOptions
    from clarion.engines.registry import create_engine

    opts = settings.options_for(engine).model_copy(update={"model_variant": variant})
    settings = settings.model_copy(update={"engine_options": {**settings.engine_options, engine: opts}})
    assert isinstance(opts, EngineOptions)
    eng = create_engine(engine, settings)
    t0 = time.perf_counter()
    eng.load("cpu", threads)
    load_s = time.perf_counter() - t0
    voice = eng.default_voice("en")
    extras = dict(eng.deterministic_extras) if isinstance(eng, HasDeterministicExtras) else {}
    segments = [Segment(t, voice, "en", 1.0, 0, extras) for t in texts]
    eng.synthesize(segments[:1])  # warm-up
    times: list[float] = []
    audio: list[Audio] = []
    for _ in range(repeats):
        audio = []
        for seg in segments:
            t = time.perf_counter()
            audio.append(eng.synthesize([seg])[0])
            times.append(time.perf_counter() - t)
    rate = eng.sample_rate
    seconds_of_audio = sum(len(a) for a in audio) / rate
    per_repeat = sum(times) / repeats
    return {
        "variant": variant,
        "audio": [np.asarray(a, np.float32) for a in audio],
        "sample_rate": rate,
        "latency_s": statistics.median(times),
        "rtf": per_repeat / max(seconds_of_audio, 1e-9),
        "throughput": len(segments) / per_repeat,
        "load_s": load_s,
        "peak_mb": _peak_mb(),
    }


def _peak_mb() -> float:
    """This process's own peak resident memory. ru_maxrss would do, except that Linux carries
    it over from the parent through fork and exec, so a big parent would hide the figure."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
