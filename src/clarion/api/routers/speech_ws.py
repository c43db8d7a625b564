"""WS /v1/audio/speech/stream: text in as it is written (an LLM's tokens), audio out as
soon as a clause or sentence of it can be spoken; for voice agents.

Each piece of text the buffer lets go (see ``ws_buffer``) becomes a speech job of its own,
run by the same synthesiser as POST /v1/audio/speech: front end, cache, admission,
deadlines, the engines' batchers. Up to ``lookahead`` pieces are in synthesis at once;
their audio goes out strictly in order. A cancel (barge-in) or the socket closing cancels
every piece not yet sent, which takes their segments out of the batchers' queues at once;
a segment already in a running batch finishes there, and nothing of it is sent."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import hmac
import json
import logging
import math
import time
from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect, WebSocketState

from clarion.api.errors import _describe_validation
from clarion.api.middleware import access_log
from clarion.api.protocol import SpeechRequest
from clarion.api.security import fingerprint
from clarion.api.serving import SpeechServing
from clarion.api.ws_buffer import TextBuffer
from clarion.api.ws_protocol import (
    CLIENT_MESSAGE,
    NORMAL,
    POLICY,
    SERVER_ERROR,
    StreamSettings,
    TextMessage,
)
from clarion.audio.encoders import StreamEncoder
from clarion.audio.formats import AudioFormat
from clarion.engines.base import AudioChunk
from clarion.errors import (
    ClarionError,
    DeadlineExceeded,
    EngineError,
    ExceedsDeadline,
    InputTooLarge,
    InvalidRequest,
    NoSpeakableText,
    QueueFull,
    RateLimited,
    ServiceUnavailable,
    TooManyStreams,
    Unauthorized,
    UnreadableScript,
)
from clarion.scheduler.batcher import Trace
from clarion.synthesis import SpeechJob
from clarion.text.frontend import speakable

log = logging.getLogger(__name__)
router = APIRouter(tags=["speech"])
ROUTE = "/v1/audio/speech/stream"

# Errors that fail one piece, not the connection: load and time (the client may go on,
# or slow down), and a piece in a script the voice cannot read (an LLM's reply quoting
# one). Anything else ends the connection.
_PIECE_ERRORS = (RateLimited, ServiceUnavailable, DeadlineExceeded, ExceedsDeadline, UnreadableScript)
_END = object()  # a piece's audio is complete


class _Fatal(Exception):
    def __init__(self, error: ClarionError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclasses.dataclass(eq=False)
class _Piece:
    index: int
    text: str
    opens_turn: bool  # nothing was queued or playing when it was cut: its wait is a TTFA
    cut_at: float = dataclasses.field(default_factory=time.perf_counter)
    queue: asyncio.Queue[object] = dataclasses.field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    dropped: bool = False
    synthesised: bool = False  # its synthesis has ended (all its audio is queued, or it failed)


@router.websocket(ROUTE)
async def speech_stream(ws: WebSocket) -> None:
    await _Session(ws).run()


class _Session:
    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        app = ws.app
        self.serving: SpeechServing = app.state.speech
        self.settings = self.serving.settings
        self.metrics = self.serving.metrics
        self.buffer = TextBuffer(self.settings.max_segment_chars)
        self.pieces: collections.deque[_Piece] = collections.deque()  # cut, not yet wholly sent
        self.changed = asyncio.Event()  # a piece was added, or the session is closing
        self.closing = False
        self.counted = False  # holds one of the server's concurrent streams
        self.next_index = 0
        self.idle_s = self.settings.ws_idle_flush_ms / 1000
        self.job: SpeechJob | None = None
        self.encoder: StreamEncoder | None = None
        self.format = AudioFormat.PCM
        self.out_rate = 0
        self.timestamps = False
        self.record: dict[str, Any] = {"segments": 0, "cancels": 0, "characters": 0, "audio_s": 0.0}
        self.close_code = NORMAL
        self.send_lock = asyncio.Lock()

    # -- the connection --------------------------------------------------------------
    async def run(self) -> None:
        start = time.perf_counter()
        await self.ws.accept()
        reader: asyncio.Task[None] | None = None
        sender: asyncio.Task[None] | None = None
        try:
            await self._open()
            reader = asyncio.create_task(self._read(), name="clarion-ws-read")
            sender = asyncio.create_task(self._send(), name="clarion-ws-send")
            done, _ = await asyncio.wait({reader, sender}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a fatal error
            if sender in done:  # closed by the client's "close", and everything sent
                await self._emit({"type": "done", "segments": self.record["segments"]})
                await self._close(NORMAL)
            else:
                self.close_code = 1001  # the client went away
        except _Fatal as e:
            await self._fail(e.error)
        except ClarionError as e:
            await self._fail(e)
        except WebSocketDisconnect:
            self.close_code = 1001
        except Exception as e:
            log.exception("websocket session failed")
            await self._fail(EngineError(f"internal error: {type(e).__name__}"))
        finally:
            self._drop_all()
            tasks = [t for t in (reader, sender) if t is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.counted:
                self.serving._streams -= 1
            self._log(time.perf_counter() - start)

    async def _open(self) -> None:
        """Read and check the settings message: key, limits, voice, extras."""
        try:
            async with asyncio.timeout(self.settings.header_timeout_s):
                message = await self.ws.receive()
        except TimeoutError:
            raise InvalidRequest(
                f"send the settings message within {self.settings.header_timeout_s:g} s "
                "(CLARION_HEADER_TIMEOUT_S)"
            ) from None
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1005))
        raw = _json_object(message)
        self._authorise(raw.get("api_key"))
        try:
            opts = StreamSettings.model_validate(raw)
        except ValidationError as e:
            text, param = _describe_validation(e.errors(), "application/json")
            raise InvalidRequest(text, param=param) from None
        req = SpeechRequest(
            model=opts.model,
            input="-",  # each piece's text is set as it is cut
            voice=opts.voice,
            response_format=AudioFormat.PCM,
            speed=opts.speed,
            instructions=opts.instructions,
            seed=opts.seed,
            timeout=opts.timeout,
            extras=opts.extras,
            sample_rate=opts.sample_rate,
            cache=opts.cache,
            timestamps=opts.timestamps,  # refused (1008) where the engine gives none
        )
        job = self.serving.job(req)
        self.job = dataclasses.replace(job, partial=True, use_cache=opts.cache)
        if self.serving._streams >= self.settings.max_concurrent_streams:
            raise TooManyStreams(
                f"{self.serving._streams} streams are open (limit {self.settings.max_concurrent_streams}, "
                "CLARION_MAX_CONCURRENT_STREAMS); retry shortly",
                retry_after=2,
            )
        self.serving._streams += 1  # one count with the HTTP streams: the same cap
        self.counted = True
        if opts.idle_flush_ms is not None:
            self.idle_s = opts.idle_flush_ms / 1000
        self.timestamps = opts.timestamps
        self.format = AudioFormat(opts.response_format)
        self.encoder = self._encoder(opts.sample_rate)
        self.out_rate = self.encoder.output_rate
        self.record.update(engine=job.runtime.name, voice=job.voice.id)
        await self._emit(
            {
                "type": "ready",
                "format": self.format.value,
                "sample_rate": self.out_rate,
                "model": job.runtime.name,
                "voice": job.voice.id,
                "timestamps": self.timestamps,
            }
        )

    def _encoder(self, out_rate: int | None) -> StreamEncoder:
        assert self.job is not None
        return StreamEncoder(self.format, self.job.runtime.engine.sample_rate, out_rate)

    def _authorise(self, given: object) -> None:
        """The same keys and per-key rate limit as HTTP: 'Authorization: Bearer' on the
        upgrade request, or ``api_key`` in the settings (browsers cannot set headers)."""
        keys: list[str] = getattr(self.ws.app.state, "api_keys", [])
        if not keys:
            return
        key: str | None = None
        scheme, _, token = (self.ws.headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            key = token.strip()
        elif isinstance(given, str) and given:
            key = given
        matched = None
        for candidate in keys:  # every key compared, so timing tells nothing
            if key is not None and hmac.compare_digest(candidate.encode(), key.encode()):
                matched = candidate
        if matched is None:
            self.metrics.rejected.labels("invalid_api_key").inc()
            raise Unauthorized(
                "missing API key: send 'Authorization: Bearer <key>' or 'api_key' in the settings message"
                if key is None
                else "invalid API key"
            )
        limiter = getattr(self.ws.app.state, "rate_limiter", None)
        if limiter is not None:
            wait = limiter.take(fingerprint(matched))
            if wait > 0:
                raise RateLimited(
                    "rate limit for this API key exceeded; slow down", retry_after=math.ceil(wait)
                )

    # -- reading ------------------------------------------------------------------
    async def _read(self) -> None:
        """Client messages until it goes away."""
        while True:
            timeout = self.idle_s if self.idle_s > 0 and self.buffer.pending else None
            try:
                async with asyncio.timeout(timeout):
                    message = await self.ws.receive()
            except TimeoutError:
                self._cut([self.buffer.flush()])  # an idle gap: speak what is held
                continue
            if message["type"] == "websocket.disconnect":
                return
            try:
                parsed = CLIENT_MESSAGE.validate_python(_json_object(message))
            except ValidationError as e:
                text, param = _describe_validation(e.errors(), "application/json")
                raise InvalidRequest(text, param=param) from None
            if isinstance(parsed, TextMessage):
                if self.closing:
                    raise InvalidRequest("text after 'close'; open a new connection", param="type")
                if len(self.buffer) + len(parsed.text) > self.settings.max_input_chars:
                    raise InputTooLarge(
                        f"more than {self.settings.max_input_chars} characters held without a boundary "
                        "(CLARION_MAX_INPUT_CHARS)",
                        param="text",
                    )
                self._open_turn()
                self._cut(self.buffer.feed(parsed.text))
            elif parsed.type == "flush":
                self._open_turn()
                self._cut([self.buffer.flush()])
            elif parsed.type == "cancel":
                dropped = self._drop_all()
                self.record["cancels"] += 1
                await self._emit({"type": "cancelled", "segments": dropped})
            else:  # close
                self._cut([self.buffer.flush()])
                self.closing = True
                self.changed.set()

    def _open_turn(self) -> None:
        if not self.pieces:
            self.buffer.first = True  # nothing queued or playing: the next piece is cut early

    def _cut(self, texts: list[str]) -> None:
        """Queue pieces for synthesis."""
        for text in texts:
            if not speakable(text):
                continue  # punctuation alone ("...", a stray emoji): nothing to say
            piece = _Piece(self.next_index, text, opens_turn=not self.pieces)
            self.next_index += 1
            self.pieces.append(piece)
        self._start_more()
        self.changed.set()

    def _start_more(self) -> None:
        """Keep up to ``lookahead`` pieces in synthesis; a turn's first piece alone, so that
        the pieces behind it do not take cores from the first sound."""
        head = self.pieces[0] if self.pieces else None
        alone = head is not None and head.opens_turn and not head.synthesised
        limit = 1 if alone else self.settings.lookahead
        running = 0
        for piece in self.pieces:
            if piece.task is None:
                if running >= limit:
                    break
                piece.task = asyncio.create_task(self._produce(piece), name="clarion-ws-piece")
                running += 1
            elif not piece.task.done():
                running += 1

    def _drop_all(self) -> int:
        """Barge-in: cancel every piece not yet wholly sent (their queued segments leave the
        batchers now), drop the held text, and start the next audio on a fresh encoder."""
        dropped = len(self.pieces)
        for piece in self.pieces:
            piece.dropped = True
            if piece.task is not None:
                piece.task.cancel()
            piece.queue.put_nowait(_END)  # wakes the sender if it waits on this piece
        self.pieces.clear()
        self.buffer.clear()
        if self.encoder is not None and dropped:
            self.encoder = self._encoder(self.out_rate)
        self.changed.set()
        return dropped

    # -- synthesis ------------------------------------------------------------------
    async def _produce(self, piece: _Piece) -> None:
        assert self.job is not None
        job = dataclasses.replace(self.job, text=piece.text, trace=Trace())
        engine = job.runtime.name
        first: float | None = None
        seconds = 0.0
        deadline = time.monotonic() + job.timeout_s
        try:
            while True:
                try:
                    async with contextlib.aclosing(self.serving.service.stream(job)) as chunks:
                        async for chunk in chunks:
                            if first is None:
                                first = time.perf_counter() - piece.cut_at
                                if piece.opens_turn:
                                    self.metrics.ttfa.labels(engine).observe(first)
                            seconds += chunk.duration
                            piece.queue.put_nowait(chunk)
                    break
                except QueueFull:
                    # Refused before any audio. The first piece in line says so; one behind it
                    # waits for room, as a request's later segments do, rather than leave a
                    # hole in the middle of the speech.
                    if not self.pieces or self.pieces[0] is piece or time.monotonic() >= deadline:
                        raise
                    await job.runtime.batcher.room(deadline - time.monotonic())
        except NoSpeakableText:
            pass  # nothing to read after normalisation: an empty segment
        except ClarionError as e:
            piece.queue.put_nowait(e)
            return
        except Exception as e:
            log.exception("a streamed segment failed")
            piece.queue.put_nowait(EngineError(f"engine {engine!r} failed: {type(e).__name__}: {e}"))
            return
        finally:
            piece.synthesised = True
            if not piece.dropped:
                self._start_more()
        piece.queue.put_nowait(_END)
        latency = time.perf_counter() - piece.cut_at
        self.metrics.on_synthesis(engine, job.voice.id, first, latency, seconds, len(piece.text))

    # -- writing --------------------------------------------------------------------
    async def _send(self) -> None:
        """Each piece's audio in order, between segment.start and segment.end; returns once
        the client closed and everything is sent."""
        while True:
            while not self.pieces:
                if self.closing:
                    return
                self.changed.clear()
                await self.changed.wait()
            piece = self.pieces[0]
            started = False
            samples = 0
            words: list[dict[str, object]] = []  # from the start of this segment's audio
            while True:
                item = await piece.queue.get()
                if piece.dropped or item is _END:
                    break
                if isinstance(item, ClarionError):
                    if not isinstance(item, _PIECE_ERRORS):
                        raise _Fatal(item)
                    self.metrics.rejected.labels(item.code or "unknown").inc()  # see _PIECE_ERRORS
                    await self._emit({"type": "error", "segment": piece.index, "fatal": False, **item.body()})
                    break
                assert isinstance(item, AudioChunk) and self.encoder is not None
                if not started:
                    started = True
                    await self._emit({"type": "segment.start", "segment": piece.index, "text": piece.text})
                data = self.encoder.write(item.samples)
                samples += len(item.samples)
                words += _words_json(item)
                if data and not piece.dropped:
                    await self._send_bytes(data)
            if piece.dropped:
                continue  # cancelled: _drop_all took it out of line
            self.pieces.popleft()
            self._start_more()
            if not self.pieces and self.format is not AudioFormat.PCM and self.encoder is not None:
                # The turn is over: a codec's held-back tail goes out now, not with the next
                # turn's audio, and that turn starts a stream of its own.
                tail = self.encoder.close()
                self.encoder = self._encoder(self.out_rate)
                if tail:
                    await self._send_bytes(tail)
            if started and self.job is not None:
                seconds = samples / self.job.runtime.engine.sample_rate
                self.record["segments"] += 1
                self.record["characters"] += len(piece.text)
                self.record["audio_s"] += seconds
                end: dict[str, Any] = {
                    "type": "segment.end",
                    "segment": piece.index,
                    "audio_seconds": round(seconds, 3),
                }
                if self.timestamps:
                    end["words"] = words
                await self._emit(end)

    async def _emit(self, event: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.ws.send_text(json.dumps(event, separators=(",", ":"), ensure_ascii=False))

    async def _send_bytes(self, data: bytes) -> None:
        async with self.send_lock:
            await self.ws.send_bytes(data)

    async def _fail(self, error: ClarionError) -> None:
        """Say why, then close: 1008 for the client's fault, 1011 for the server's."""
        if error.status in (413, 429, 503, 504):
            self.metrics.rejected.labels(error.code or "unknown").inc()
        if error.status >= 500:
            log.warning("websocket: %s: %s", type(error).__name__, error.message)
        code = POLICY if error.status < 500 else SERVER_ERROR
        with contextlib.suppress(Exception):
            await self._emit({"type": "error", "fatal": True, **error.body()})
        await self._close(code)

    async def _close(self, code: int) -> None:
        self.close_code = code
        if self.ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code)

    def _log(self, elapsed: float) -> None:
        self.metrics.requests.labels(ROUTE, "WS", str(self.close_code)).inc()
        self.metrics.request_seconds.labels(ROUTE).observe(elapsed)
        access_log.info(
            "websocket",
            extra={
                "route": ROUTE,
                "close_code": self.close_code,
                "latency_s": round(elapsed, 4),
                **self.record,
            },
        )


def _words_json(chunk: AudioChunk) -> list[dict[str, object]]:
    return [{"word": w.word, "start": round(w.start, 3), "end": round(w.end, 3)} for w in chunk.words or ()]


def _json_object(message: Any) -> dict[str, Any]:
    text = message.get("text")
    if text is None:
        raise InvalidRequest("send JSON text messages; binary frames are not accepted")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidRequest(f"the message is not valid JSON: {e.msg} (at character {e.pos})") from None
    if not isinstance(value, dict):
        raise InvalidRequest("each message must be a JSON object ({...})")
    return value
