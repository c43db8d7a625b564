"""Decoding untrusted audio where it cannot hurt the server.

Every upload is decoded in a short-lived child process with a CPU-time limit, a looser
wall-clock limit and an address-space limit. A file that sends the decoder into an endless
loop, asks for gigabytes, or crashes FFmpeg costs that child, never the server. CPU time is
what judges a file: a good clip decoded while synthesis keeps every core busy waits for the
CPU but does not use more of it, so load on the server does not turn good uploads away.
Children come from a forkserver that has av and numpy imported already, so one costs
milliseconds. Decoding also stops once the clip is longer than the caller accepts, so a
one-hour file is refused after reading just past the limit.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing as mp
import resource
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

import numpy as np

from clarion.types import Audio

_CTX = mp.get_context("forkserver")
# "__main__" too: the server imports its entry module once, not in every child.
_CTX.set_forkserver_preload(["__main__", "clarion.audio.sandbox", "av", "numpy"])


@dataclass(frozen=True, slots=True)
class Decoded:
    samples: Audio  # mono float32
    sample_rate: int
    channels: int  # as uploaded, before downmixing
    codec: str
    truncated: bool  # decoding stopped at the length limit
    damage: str | None  # why the file looks damaged (decoder errors, frames missing), or None


class DecodeFailed(Exception):
    """The file could not be decoded; the message says why, in words for the uploader.
    ``header`` is (sample rate, channels) when the stream's header was read."""

    def __init__(self, message: str, header: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.header = header


class DecodeTimeout(DecodeFailed):
    pass


def decode_untrusted(
    data: bytes,
    demuxer: str,
    *,
    max_seconds: float,
    timeout_s: float = 1.5,
    memory_bytes: int = 2 << 30,
) -> Decoded:
    """Decode in a child process. The child reports the stream's header first, so even a
    file that then crashes the decoder is described (its rate and channels) in the error."""
    parent, child = _CTX.Pipe(duplex=False)
    proc = _CTX.Process(
        target=_child, args=(child, data, demuxer, max_seconds, timeout_s, memory_bytes), daemon=True
    )
    proc.start()
    child.close()
    # The child stops itself after timeout_s of CPU time (see _child); the wall clock only
    # catches a child that is stuck without computing, and allows for waiting on a busy CPU.
    deadline = time.monotonic() + wall_clock_limit(timeout_s)
    too_long = f"decoding took longer than {timeout_s:g} s; the file is damaged or hostile"
    header: tuple[int, int] | None = None  # sample rate, channels
    try:
        while True:
            if not parent.poll(max(0.0, deadline - time.monotonic())):
                raise DecodeTimeout(too_long, header)
            try:
                status, payload = parent.recv()
            except EOFError:
                proc.join(1)
                if proc.exitcode in (-signal.SIGPROF, -signal.SIGXCPU):
                    raise DecodeTimeout(too_long, header) from None
                raise DecodeFailed(
                    f"the decoder crashed on this file (exit code {proc.exitcode})", header
                ) from None
            if status == "header":
                header = payload
                continue
            break
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(1)
        parent.close()
    if status != "ok":
        raise DecodeFailed(str(payload), header)
    return Decoded(*payload)


def wall_clock_limit(timeout_s: float) -> float:
    """How long a decode may take by the clock: its CPU limit with room for a loaded machine."""
    return max(10 * timeout_s, 30.0)


def warm() -> None:
    """Start the forkserver now, so the first upload does not pay for it."""
    rate = 8_000
    pcm = np.zeros(rate // 10, "<i2").tobytes()
    wav = (
        b"RIFF"
        + (36 + len(pcm)).to_bytes(4, "little")
        + b"WAVEfmt "
        + (16).to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + rate.to_bytes(4, "little")
        + (2 * rate).to_bytes(4, "little")
        + (2).to_bytes(2, "little")
        + (16).to_bytes(2, "little")
        + b"data"
        + len(pcm).to_bytes(4, "little")
        + pcm
    )
    decode_untrusted(wav, "wav", max_seconds=1, timeout_s=30)


def _child(
    conn: Connection, data: bytes, demuxer: str, max_seconds: float, timeout_s: float, memory_bytes: int
) -> None:
    # The CPU-time limit: SIGPROF's default action ends the process, even inside FFmpeg's C
    # code, once all its threads together have used timeout_s. RLIMIT_CPU (whole seconds) and
    # the parent's wall clock are the belt and braces; RLIMIT_AS bounds memory.
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_PROF, timeout_s)
    cpu = max(1, int(timeout_s) + 2)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    reply: tuple[str, object]
    try:
        reply = ("ok", _decode(data, demuxer, max_seconds, conn))
    except BrokenPipeError:
        return  # the parent stopped listening (the server is shutting down): nobody to tell
    except MemoryError:
        reply = ("err", "decoding this file needs more memory than an upload may use")
    except Exception as exc:
        reply = ("err", _explain(exc))
    with contextlib.suppress(BrokenPipeError):
        conn.send(reply)


def _explain(exc: Exception) -> str:
    msg = str(exc).strip() or type(exc).__name__
    return f"the file could not be decoded as audio ({msg})"


# Containers whose declared duration is exact, so audio missing from the decode means
# frames were dropped (MP3's is only estimated from the bit rate).
_EXACT_DURATION = frozenset({"wav", "flac", "ogg"})


def _decode(
    data: bytes, demuxer: str, max_seconds: float, conn: Connection
) -> tuple[Audio, int, int, str, bool, str | None]:
    import av
    import av.logging

    # FFmpeg skips broken frames and only logs it: listen to the log to notice.
    av.logging.set_level(av.logging.ERROR)
    with av.logging.Capture() as logs, av.open(io.BytesIO(data), "r", format=demuxer) as container:
        if not container.streams.audio:
            raise ValueError("it has no audio stream")
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        rate = int(ctx.sample_rate or 0)
        channels = int(ctx.channels or 0)
        if rate < 1:
            raise ValueError("it declares no sample rate")
        conn.send(("header", (rate, channels)))
        declared = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
        to_float = av.AudioResampler(format="fltp")
        chunks: list[Audio] = []
        total = 0
        limit = int(max_seconds * rate) + 1
        truncated = False
        for frame in container.decode(stream):
            for out in to_float.resample(frame):
                planes = out.to_ndarray().astype(np.float32, copy=False)
                channels = max(channels, planes.shape[0])
                chunks.append(planes.mean(axis=0))
                total += planes.shape[1]
            if total > limit:
                truncated = True
                break
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        codec = str(ctx.name)
    damage = None
    errors = [str(entry[2]).strip() for entry in logs if entry[0] <= av.logging.ERROR]
    if errors:
        damage = f"the decoder reported {errors[0]!r}"
    elif not truncated and demuxer in _EXACT_DURATION and declared and declared - total / rate > 0.02:
        damage = f"it declares {declared:.2f} s of audio but only {total / rate:.2f} s decode"
    if damage is None and samples.size and not np.isfinite(samples).all():
        damage = "it contains invalid (NaN or infinite) samples"
    return samples, rate, channels, codec, truncated, damage
