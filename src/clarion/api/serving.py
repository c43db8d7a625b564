"""Speech serving: a validated request in, an HTTP response out (whole, chunked or SSE).

Streaming responses pull the first audio chunk before sending headers, so anything
that fails early (unknown voice, full queue, engine error on the first sentence) still
gets a proper status code instead of a broken 200."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from typing import TypeVar

import numpy as np
from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from clarion.api.protocol import SpeechRequest
from clarion.audio.encoders import StreamEncoder, encode
from clarion.audio.formats import AudioFormat
from clarion.config import Settings
from clarion.engines.base import AudioChunk, TimesWords
from clarion.errors import Cancelled, ClarionError, InputTooLarge, InvalidRequest, NotReady, TooManyStreams
from clarion.observability.metrics import Metrics
from clarion.service import Service
from clarion.synthesis import SpeechJob

log = logging.getLogger(__name__)
T = TypeVar("T")

# Cheap formats are encoded on the event loop; the rest in a thread so the loop stays free.
_INLINE = {AudioFormat.WAV, AudioFormat.PCM}


class SpeechServing:
    def __init__(self, service: Service, settings: Settings, metrics: Metrics) -> None:
        self.service = service
        self.settings = settings
        self.metrics = metrics
        self._streams = 0  # streamed responses open now

    @property
    def open_streams(self) -> int:
        """Streamed responses open now (capped by CLARION_MAX_CONCURRENT_STREAMS)."""
        return self._streams

    def _check_ready(self) -> None:
        if not self.service.ready or self.service.draining:
            raise NotReady("the server is starting or draining; retry shortly", retry_after=2)

    def default_voice(self) -> str:
        self._check_ready()
        return self.service.default_voice()

    def job(self, req: SpeechRequest, *, input_limit: tuple[int, str] | None = None) -> SpeechJob:
        """``input_limit``: (characters, the setting that sets them) where a route has its own."""
        self._check_ready()
        cap, setting = input_limit or (self.settings.max_input_chars, "CLARION_MAX_INPUT_CHARS")
        if len(req.input) > cap:
            raise InputTooLarge(
                f"input is {len(req.input)} characters; the limit is {cap} (split it, or raise {setting})",
                param="input",
            )
        timeout = req.timeout or self.settings.request_timeout_s
        if timeout > self.settings.max_request_timeout_s:
            raise InvalidRequest(
                f"timeout {timeout:g} s exceeds the server's limit of "
                f"{self.settings.max_request_timeout_s:g} s (CLARION_MAX_REQUEST_TIMEOUT_S)",
                param="timeout",
            )
        runtime, voice = self.service.resolve(req.model, req.voice_id)
        extras = dict(req.extras)
        target = runtime.engine.capabilities.instructions_extra
        if req.instructions and target is not None:
            extras.setdefault(target, req.instructions)  # an explicit extras value wins
        extras = self.service.validate_extras(runtime, extras)
        if req.timestamps:
            self._check_timestamps(runtime.name, runtime.engine)
        return SpeechJob(
            runtime,
            voice,
            req.input,
            req.speed,
            req.seed,
            timeout,
            extras,
            input_format=req.input_format,
            timestamps=req.timestamps,
        )

    def _check_timestamps(self, name: str, engine: object) -> None:
        if isinstance(engine, TimesWords):
            return
        able = [n for n, rt in self.service.runtimes.items() if isinstance(rt.engine, TimesWords)]
        which = (
            f"engines that do here: {', '.join(able)} (any of their voices)"
            if able
            else "no engine loaded here does"
        )
        raise InvalidRequest(
            f"engine {name!r} gives no word timestamps; {which} (GET /v1/models: engine.word_timestamps)",
            param="timestamps",
            code="timestamps_unsupported",
        )

    async def respond(
        self, request: Request, req: SpeechRequest, *, input_limit: tuple[int, str] | None = None
    ) -> Response:
        if self.settings.stream_default and "stream" not in req.model_fields_set and not req.timestamps:
            req = req.model_copy(update={"stream": True})
        if req.timestamps and req.streaming and req.stream_format != "sse":
            raise InvalidRequest(
                "timestamps cannot ride in a raw audio stream: use stream_format 'sse' for streamed "
                "audio with word events, or leave out 'stream' for one JSON response with both",
                param="timestamps",
                code="timestamps_unsupported",
            )
        job = self.job(req, input_limit=input_limit)
        if not req.cache or _no_cache(request):
            job = dataclasses.replace(job, use_cache=False)
        if req.streaming:
            job = dataclasses.replace(job, partial=True)  # audio while a segment is generated, where it can
        if req.streaming:
            if self._streams >= self.settings.max_concurrent_streams:
                raise TooManyStreams(
                    f"{self._streams} streams are open (limit {self.settings.max_concurrent_streams}, "
                    "CLARION_MAX_CONCURRENT_STREAMS); retry shortly or ask for a whole file",
                    retry_after=2,
                )
            self._streams += 1  # released when the chunk generator closes
        chunks = self._traced(request, job, counts_stream=req.streaming)
        fmt = req.response_format
        if req.stream_format == "sse":
            return await self._sse(job, chunks, fmt, req.sample_rate)
        if req.streaming:
            return await self._chunked(job, chunks, fmt, req.sample_rate)
        if req.timestamps:
            return await self._whole_timed(request, job, chunks, fmt, req.sample_rate)
        return await self._whole(request, job, chunks, fmt, req.sample_rate)

    async def _traced(
        self, request: Request, job: SpeechJob, counts_stream: bool
    ) -> AsyncGenerator[AudioChunk, None]:
        """The service's chunks, with time to first audio and totals going to the metrics and
        to this request's access-log record."""
        try:
            async with contextlib.aclosing(self._observed(request, job)) as chunks:
                async for chunk in chunks:
                    yield chunk
        finally:
            if counts_stream:
                self._streams -= 1

    async def _observed(self, request: Request, job: SpeechJob) -> AsyncGenerator[AudioChunk, None]:
        state = request.scope.get("state", {})
        record: dict[str, object] = state.get("record", {})
        start = state.get("start", time.perf_counter())
        engine, voice = job.runtime.name, job.voice.id
        record.update(engine=engine, voice=voice, characters=len(job.text))
        if self.settings.log_text:
            record["text"] = job.text
        metrics = self.metrics
        seconds = 0.0
        first: float | None = None  # time to first audio
        try:
            async with contextlib.aclosing(self.service.stream(job)) as chunks:
                async for chunk in chunks:
                    if first is None:
                        first = time.perf_counter() - start
                        record["ttfa_s"] = round(first, 4)
                        metrics.ttfa.labels(engine).observe(first)
                    seconds += chunk.duration
                    record["audio_s"] = round(seconds, 3)
                    yield chunk
        finally:
            trace = job.trace
            record.update(
                cache=trace.cache,
                segments=trace.segments,
                queue_wait_s=round(trace.queue_wait_s, 4),
                batch_size=round(trace.mean_batch_size, 2),
            )
        latency = time.perf_counter() - start
        metrics.on_synthesis(engine, voice, first, latency, seconds, len(job.text))

    # -- whole file --------------------------------------------------------------
    async def _whole(
        self,
        request: Request,
        job: SpeechJob,
        stream: AsyncGenerator[AudioChunk, None],
        fmt: AudioFormat,
        out_rate: int | None,
    ) -> Response:
        body, seconds, _ = await self._file(request, job, stream, fmt, out_rate)
        return Response(body, media_type=fmt.media_type, headers=_usage_headers(job, seconds))

    async def _whole_timed(
        self,
        request: Request,
        job: SpeechJob,
        stream: AsyncGenerator[AudioChunk, None],
        fmt: AudioFormat,
        out_rate: int | None,
    ) -> Response:
        """The whole file, base64, with its words: one JSON body (SpeechWithTimestamps)."""
        body, seconds, chunks = await self._file(request, job, stream, fmt, out_rate)
        payload = {
            "audio": base64.b64encode(body).decode("ascii"),
            "format": fmt.value,
            "sample_rate": out_rate or job.runtime.engine.sample_rate,
            "audio_seconds": round(seconds, 3),
            "words": [w for c in chunks for w in _words_json(c)],
        }
        return Response(
            json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
            media_type="application/json",
            headers=_usage_headers(job, seconds),
        )

    async def _file(
        self,
        request: Request,
        job: SpeechJob,
        stream: AsyncGenerator[AudioChunk, None],
        fmt: AudioFormat,
        out_rate: int | None,
    ) -> tuple[bytes, float, list[AudioChunk]]:
        """The request's audio encoded whole, its length in seconds, and its chunks."""
        chunks = await _unless_disconnected(request, _collect(stream))
        rate = job.runtime.engine.sample_rate
        samples = np.concatenate([c.samples for c in chunks]) if chunks else np.zeros(0, np.float32)
        if fmt in _INLINE and out_rate in (None, rate):
            body = encode(samples, rate, fmt)  # a dtype conversion: cheaper than a thread hop
        else:
            body = await asyncio.to_thread(encode, samples, rate, fmt, out_rate)
        return body, len(samples) / rate, chunks

    # -- chunked audio -----------------------------------------------------------
    async def _chunked(
        self, job: SpeechJob, chunks: AsyncGenerator[AudioChunk, None], fmt: AudioFormat, out_rate: int | None
    ) -> Response:
        first = await _first(chunks)
        encoder = StreamEncoder(fmt, job.runtime.engine.sample_rate, out_rate)

        async def body() -> AsyncIterator[bytes]:
            try:
                data = await _encode(encoder, fmt, first)
                if data:
                    yield data
                async for chunk in chunks:
                    data = await _encode(encoder, fmt, chunk)
                    if data:
                        yield data
                tail = encoder.close()
                if tail:
                    yield tail
            except ClarionError as e:
                # Headers are gone; all that is left is to end the stream early and say why in the log.
                log.warning("stream aborted after it started: %s", e.message)
                raise
            finally:
                await chunks.aclose()

        return StreamingResponse(
            body(),
            media_type=fmt.media_type,
            headers={"X-Accel-Buffering": "no", "X-Clarion-Cache": job.trace.cache},
        )

    # -- server-sent events ------------------------------------------------------
    async def _sse(
        self, job: SpeechJob, chunks: AsyncGenerator[AudioChunk, None], fmt: AudioFormat, out_rate: int | None
    ) -> Response:
        first = await _first(chunks)
        encoder = StreamEncoder(fmt, job.runtime.engine.sample_rate, out_rate)

        def event(payload: dict[str, object]) -> bytes:
            return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()

        def delta(data: bytes) -> bytes:
            return event({"type": "speech.audio.delta", "audio": base64.b64encode(data).decode("ascii")})

        async def body() -> AsyncIterator[bytes]:
            seconds = 0.0
            try:
                pending: AudioChunk | None = first
                while pending is not None:
                    seconds += pending.duration
                    data = await _encode(encoder, fmt, pending)
                    if data:
                        yield delta(data)
                    if pending.words is not None and pending.text:  # a segment's first chunk
                        words = _words_json(pending)
                        yield event(
                            {
                                "type": "speech.audio.words",
                                "segment": pending.index,
                                "text": pending.text,
                                "words": words,
                            }
                        )
                    pending = await anext(chunks, None)
                tail = encoder.close()
                if tail:
                    yield delta(tail)
                chars = len(job.text)
                yield event(
                    {
                        "type": "speech.audio.done",
                        "usage": {
                            "input_tokens": chars,
                            "output_tokens": 0,
                            "total_tokens": chars,
                            "characters": chars,
                            "audio_seconds": round(seconds, 3),
                        },
                    }
                )
            except ClarionError as e:
                yield event({"type": "error", **e.body()})
            finally:
                await chunks.aclose()

        return StreamingResponse(
            body(),
            media_type="text/event-stream",
            headers={
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
                "X-Clarion-Cache": job.trace.cache,
            },
        )


async def _first(chunks: AsyncGenerator[AudioChunk, None]) -> AudioChunk:
    try:
        return await anext(chunks)
    except BaseException:
        await chunks.aclose()
        raise


async def _collect(chunks: AsyncIterator[AudioChunk]) -> list[AudioChunk]:
    return [c async for c in chunks]


async def _encode(encoder: StreamEncoder, fmt: AudioFormat, chunk: AudioChunk) -> bytes:
    if fmt in _INLINE:
        return encoder.write(chunk.samples)
    return await asyncio.to_thread(encoder.write, chunk.samples)


async def _unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """Run ``work`` unless the client hangs up first; then cancel it so queued segments
    are dropped instead of synthesised for nobody."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_disconnected(request))
    try:
        done, _ = await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            return task.result()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise Cancelled("client disconnected before the audio was ready")
    finally:
        watch.cancel()
        if not task.done():
            task.cancel()


async def _disconnected(request: Request) -> None:
    # The body has been read already, so the next ASGI message can only be the disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _words_json(chunk: AudioChunk) -> list[dict[str, object]]:
    """A chunk's words as the API gives them: times rounded to the millisecond."""
    return [{"word": w.word, "start": round(w.start, 3), "end": round(w.end, 3)} for w in chunk.words or ()]


def _usage_headers(job: SpeechJob, seconds: float) -> dict[str, str]:
    return {
        "X-Clarion-Engine": job.runtime.name,
        "X-Clarion-Voice": job.voice.id,
        "X-Clarion-Characters": str(len(job.text)),
        "X-Clarion-Audio-Seconds": f"{seconds:.3f}",
        "X-Clarion-Cache": job.trace.cache,
    }


def _no_cache(request: Request) -> bool:
    directives = request.headers.get("cache-control", "").lower()
    return "no-cache" in directives or "no-store" in directives
