"""One request against a target, timed byte by byte.

Targets: any OpenAI-compatible ``/v1/audio/speech`` endpoint (Clarion among them), and
piper's own HTTP server (``python -m piper.http_server``: ``POST /synthesize`` with
``{"text": ...}``, answering a whole WAV file).

Audio is counted from the response bytes as they arrive: WAV and PCM carry a known number of
bytes per second, so every network chunk says how much audio has been delivered so far, which
is what the playback model needs. Compressed formats are decoded once complete, for their
duration only; their streams get no underrun count."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from clarion.bench.errors import BenchError
from clarion.bench.stats import playback

INCREMENTAL_FORMATS = ("wav", "pcm")
FORMATS = ("wav", "pcm", "mp3", "opus", "flac", "aac")
OPENAI_PCM_RATE = 24_000  # what OpenAI's API sends as "pcm"; Clarion says its own in /v1/audio/voices


class AudioMeter:
    """Audio seconds in a response body, fed as the bytes arrive."""

    def __init__(self, fmt: str, pcm_rate: int | None = None) -> None:
        if fmt not in FORMATS:
            raise BenchError(f"unknown audio format {fmt!r}; choose one of: {', '.join(FORMATS)}")
        if fmt == "pcm" and not pcm_rate:
            raise BenchError("raw PCM carries no sample rate: pass --sample-rate")
        self.fmt = fmt
        self._bytes_per_s = float(pcm_rate or 0) * 2  # 16-bit mono; WAV sets it from its header
        self._header = bytearray()  # WAV bytes before the data chunk starts
        self._in_data = fmt == "pcm"
        self._data_left: int | None = None  # WAV data chunk size, when the header states one
        self._body = bytearray()  # compressed formats only: decoded at the end
        self.seconds = 0.0

    @property
    def incremental(self) -> bool:
        return self.fmt in INCREMENTAL_FORMATS

    def feed(self, data: bytes) -> float:
        """Take the next bytes; return the audio seconds they complete (0 for header bytes
        and for compressed formats)."""
        if not self.incremental:
            self._body += data
            return 0.0
        if not self._in_data:
            self._header += data
            data = self._parse_wav_header()
        if self._data_left is not None:
            data = data[: self._data_left]  # trailing chunks (LIST, ...) after the samples
            self._data_left -= len(data)
        seconds = len(data) / self._bytes_per_s if self._in_data and data else 0.0
        self.seconds += seconds
        return seconds

    def finish(self) -> float:
        """Total audio seconds once the body is complete."""
        if self.incremental:
            if self.fmt == "wav" and not self._in_data:
                raise ValueError("the WAV response ended before its data chunk")
            return self.seconds
        from clarion.audio.decode import decode

        audio, rate = decode(bytes(self._body), self.fmt)
        self.seconds = len(audio) / rate
        return self.seconds

    def _parse_wav_header(self) -> bytes:
        """Walk the RIFF chunks gathered so far; once the data chunk starts, return the
        sample bytes that followed it."""
        buf = self._header
        if len(buf) < 12:
            return b""
        if buf[:4] != b"RIFF" or buf[8:12] != b"WAVE":
            raise ValueError("the response is not a RIFF/WAVE file")
        pos = 12
        while len(buf) >= pos + 8:
            chunk_id, size = struct.unpack_from("<4sI", buf, pos)
            body = pos + 8
            if chunk_id == b"data":
                if self._bytes_per_s <= 0:
                    raise ValueError("WAV data chunk before its fmt chunk")
                self._in_data = True
                # A streamed WAV cannot know its length: 0 or 0xFFFFFFFF means "until the end".
                self._data_left = None if size in (0, 0xFFFFFFFF) else size
                rest = bytes(buf[body:])
                self._header.clear()
                return rest
            if len(buf) < body + size:
                return b""  # this chunk is still arriving
            if chunk_id == b"fmt ":
                if size < 16:
                    raise ValueError("WAV fmt chunk is too short")
                tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", buf, body)
                if tag not in (1, 0xFFFE) or bits != 16:
                    raise ValueError(f"WAV must be 16-bit PCM, got format {tag} with {bits} bits")
                self._bytes_per_s = float(rate * channels * bits // 8)
            pos = body + size + (size & 1)  # chunks are padded to an even length
        return b""


@dataclass(frozen=True)
class Reply:
    """One request's outcome. Times are seconds; ``scheduled`` is from the level's start."""

    scheduled: float
    error: str | None  # None when it succeeded; else an HTTP status ("503") or exception name
    ttfa_s: float | None  # to the first audio byte, from the scheduled send time
    latency_s: float  # to the last byte (or the failure), from the scheduled send time
    audio_s: float
    chars: int
    underruns: int | None = None  # None: not measurable (compressed format)
    stall_s: float | None = None
    max_stall_s: float | None = None
    ttfa_sentence_s: float | None = None  # --ws: first audio after the first sentence was sent

    @property
    def ok(self) -> bool:
        return self.error is None


class Target(Protocol):
    kind: str
    fmt: str
    streaming: bool
    pcm_rate: int | None

    async def prepare(self, client: httpx.AsyncClient) -> None:
        """Check the target answers and fill in what was left to discover (voice, rate)."""

    def build(self, client: httpx.AsyncClient, text: str) -> httpx.Request: ...

    def describe(self) -> dict[str, Any]: ...

    def headers(self) -> dict[str, str]: ...


class OpenAITarget:
    """``POST /v1/audio/speech`` with OpenAI's fields; ``stream: true`` (Clarion's extension)
    only when streaming is asked for."""

    kind = "openai"

    def __init__(
        self,
        url: str,
        *,
        model: str = "tts-1",
        voice: str | None = None,
        fmt: str = "wav",
        stream: bool = False,
        api_key: str | None = None,
        sample_rate: int | None = None,
        lang: str = "en",
        cache: bool = False,
    ) -> None:
        if fmt not in FORMATS:
            raise BenchError(f"unknown --format {fmt!r}; choose one of: {', '.join(FORMATS)}")
        self.url = url.rstrip("/")
        self.model = model
        self.voice = voice
        self.fmt = fmt
        self.streaming = stream
        self.api_key = api_key
        self.pcm_rate = sample_rate
        self.lang = lang
        self.cache = cache

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    async def prepare(self, client: httpx.AsyncClient) -> None:
        if self.voice is not None and (self.fmt != "pcm" or self.pcm_rate):
            return
        cards = await self._voice_cards(client)
        if self.voice is None:
            if cards:
                self.voice = str(cards[0]["id"])
            else:
                self.voice = "alloy"  # OpenAI's own default, for servers that list no voices
        if self.fmt == "pcm" and not self.pcm_rate:
            rates = [int(c["sample_rate"]) for c in cards if c.get("id") == self.voice and "sample_rate" in c]
            self.pcm_rate = rates[0] if rates else OPENAI_PCM_RATE

    async def _voice_cards(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        """Clarion's ``GET /v1/audio/voices``: voices of the model (when it names an engine)
        in the bench's language, else of any engine. Empty when the server has no such route."""
        for params in ({"engine": self.model, "language": self.lang}, {"language": self.lang}):
            try:
                r = await client.get(f"{self.url}/v1/audio/voices", params=params, headers=self.headers())
            except httpx.TransportError as e:
                raise BenchError(f"cannot reach {self.url}: {type(e).__name__}: {e}") from e
            if r.status_code in (401, 403):
                raise BenchError(f"{self.url} refused the request ({r.status_code}); pass --api-key")
            if r.status_code != 200:
                return []
            try:
                voices = r.json().get("voices", [])
            except ValueError:
                return []
            if self.voice is not None:
                voices = [v for v in voices if v.get("id") == self.voice]
            if voices:
                return list(voices)
        return []

    def build(self, client: httpx.AsyncClient, text: str) -> httpx.Request:
        body: dict[str, Any] = {
            "model": self.model,
            "input": text,
            "voice": self.voice or "alloy",
            "response_format": self.fmt,
        }
        if self.streaming:
            body["stream"] = True
        headers = self.headers()
        if not self.cache:
            # The bench repeats its texts; a server with a result cache would answer repeats
            # without synthesising, which measures the cache, not the engine.
            headers["Cache-Control"] = "no-cache"
        return client.build_request("POST", f"{self.url}/v1/audio/speech", json=body, headers=headers)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "model": self.model,
            "voice": self.voice,
            "format": self.fmt,
            "stream": self.streaming,
            "pcm_rate": self.pcm_rate if self.fmt == "pcm" else None,
            "cache": self.cache,
        }


class PiperHttpTarget:
    """piper-tts's Flask server: ``POST /synthesize {"text", "voice"?}`` -> a whole WAV file.
    It cannot stream, so time to first audio is its whole synthesis time."""

    kind = "piper"
    fmt = "wav"
    streaming = False
    pcm_rate: int | None = None

    def __init__(self, url: str, *, voice: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.voice = voice  # sent only when given: the server falls back to the voice it loaded
        self.served_voice: str | None = None  # what /info says it loaded

    def headers(self) -> dict[str, str]:
        return {}

    async def prepare(self, client: httpx.AsyncClient) -> None:
        try:
            r = await client.get(f"{self.url}/info")
        except httpx.TransportError as e:
            raise BenchError(f"cannot reach piper's server at {self.url}: {type(e).__name__}: {e}") from e
        if r.status_code != 200:
            raise BenchError(f"{self.url}/info answered {r.status_code}: is this piper's HTTP server?")
        with contextlib.suppress(ValueError, KeyError, TypeError):
            self.served_voice = str(r.json()["voice"]["name"])

    def build(self, client: httpx.AsyncClient, text: str) -> httpx.Request:
        body: dict[str, Any] = {"text": text}
        if self.voice:
            body["voice"] = self.voice
        return client.build_request("POST", f"{self.url}/synthesize", json=body)

    def describe(self) -> dict[str, Any]:
        voice = self.voice or self.served_voice
        return {"kind": self.kind, "url": self.url, "voice": voice, "format": "wav", "stream": False}


async def send(
    client: httpx.AsyncClient, target: Target, text: str, scheduled: float, origin: float
) -> Reply:
    """Send ``text`` to ``target``; ``scheduled`` is the ``time.perf_counter()`` instant the
    request was due (all times are measured from it), ``origin`` the level's start."""
    meter = AudioMeter(target.fmt, target.pcm_rate)
    arrivals: list[tuple[float, float]] = []
    ttfa: float | None = None
    due = scheduled - origin
    try:
        request = target.build(client, text)
        response = await client.send(request, stream=True)
        try:
            if response.status_code != 200:
                await response.aread()
                return Reply(
                    due, str(response.status_code), None, time.perf_counter() - scheduled, 0.0, len(text)
                )
            async for data in response.aiter_bytes():
                now = time.perf_counter()
                seconds = meter.feed(data)
                if ttfa is None and (seconds > 0 or not meter.incremental):
                    ttfa = now - scheduled
                arrivals.append((now, seconds))
        finally:
            await response.aclose()
        end = time.perf_counter()
        if meter.incremental:
            audio = meter.finish()
        else:
            audio = await asyncio.to_thread(meter.finish)
    except httpx.HTTPError as e:
        return Reply(due, type(e).__name__, None, time.perf_counter() - scheduled, 0.0, len(text))
    except ValueError as e:
        return Reply(due, f"bad audio: {e}", None, time.perf_counter() - scheduled, 0.0, len(text))
    if audio <= 0:
        return Reply(due, "no audio", ttfa, end - scheduled, 0.0, len(text))
    if not meter.incremental:
        return Reply(due, None, ttfa, end - scheduled, audio, len(text))
    heard = playback(arrivals)
    return Reply(
        due, None, ttfa, end - scheduled, audio, len(text), heard.underruns, heard.stall_s, heard.max_stall_s
    )
